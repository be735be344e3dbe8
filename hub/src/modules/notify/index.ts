export {
  ExternalChannels,
  recipientDigest,
  type ChannelConfig,
  type ChannelName,
  type ChannelResult,
  type EmailRequest,
  type ExternalChannelsDeps,
  type SmsRequest,
} from './notify.service.js';
export {
  bodyEncoder,
  fillTemplate,
  renderExternalSubject,
  renderExternalText,
  type ExternalContent,
} from './notify.text.js';
