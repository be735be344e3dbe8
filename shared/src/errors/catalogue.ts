/**
 * The error-code catalogue: every code the hub can return, its HTTP status and
 * a default message. Codes are `<domain>.<reason>`, never renamed or reused once
 * released; `docs/errors.md` lists each one (a test keeps the two in step).
 */
export const ERRORS = {
  'validation.invalid': { status: 400, message: 'The request is not valid' },
  'http.malformed_json': { status: 400, message: 'The request body is not valid JSON' },
  'http.unsupported_media_type': {
    status: 415,
    message: 'The request body must be application/json',
  },
  'http.payload_too_large': { status: 413, message: 'The request body is too large' },
  'http.not_found': { status: 404, message: 'No such resource' },
  'http.method_not_allowed': { status: 405, message: 'Method not allowed on this resource' },
  'hub.not_ready': { status: 503, message: 'The hub is not ready' },
  'internal.error': { status: 500, message: 'Internal error' },
  'auth.invalid_credentials': { status: 401, message: 'Wrong login or password' },
  'auth.unauthenticated': { status: 401, message: 'Sign-in required' },
  'auth.session_expired': { status: 401, message: 'The session has expired or was revoked' },
  'auth.throttled': {
    status: 429,
    message: 'Too many failed sign-in attempts; try again later',
  },
  'auth.forbidden': { status: 403, message: 'You do not have permission for this action' },
  'auth.wrong_password': { status: 403, message: 'The current password is wrong' },
  'auth.weak_password': { status: 400, message: 'The password does not meet the policy' },
  'auth.session_not_found': { status: 404, message: 'No such session' },
  'auth.last_admin': {
    status: 409,
    message: 'The last active administrator cannot lose the admin role',
  },
  'directory.user_not_found': { status: 404, message: 'No such staff member' },
  'directory.unit_not_found': { status: 404, message: 'No such organization unit' },
  'directory.login_taken': { status: 409, message: 'This login is already in use' },
  'directory.external_id_taken': {
    status: 409,
    message: 'This external identifier belongs to another staff member',
  },
  'directory.invalid_parent': {
    status: 400,
    message: 'The parent does not fit this kind of organization unit',
  },
  'directory.unit_in_use': {
    status: 409,
    message: 'The unit still has active sub-units or members',
  },
  'directory.import_invalid': {
    status: 422,
    message: 'The import file has invalid lines; nothing was imported',
  },
  'directory.import_unreadable': {
    status: 400,
    message: 'The import file cannot be read (encoding, separator or header)',
  },
  'directory.unit_code_taken': {
    status: 409,
    message: 'This unit code is already in use',
  },
  'audit.invalid_query': { status: 400, message: 'The audit query is not valid' },
  'realtime.malformed_frame': {
    status: 400,
    message: 'The frame is not valid JSON or not a valid frame',
  },
  'realtime.unknown_op': { status: 400, message: 'No such operation' },
  'realtime.not_authenticated': {
    status: 401,
    message: 'The first frame must be an auth frame',
  },
  'realtime.already_authenticated': {
    status: 409,
    message: 'This connection is already authenticated',
  },
  'messaging.conversation_not_found': { status: 404, message: 'No such conversation' },
  'messaging.not_member': { status: 403, message: 'You are not a member of this conversation' },
  'messaging.message_not_found': { status: 404, message: 'No such message' },
  'messaging.not_allowed': {
    status: 403,
    message: 'This action is not allowed in this conversation',
  },
  'messaging.invalid_members': {
    status: 400,
    message: 'The member list does not fit this kind of conversation',
  },
  'messaging.user_not_found': { status: 400, message: 'A member is not an active staff member' },
  'messaging.text_too_long': { status: 413, message: 'The message text is too long' },
  'messaging.empty_message': {
    status: 400,
    message: 'A message needs text, an attachment or a forward',
  },
  'messaging.id_conflict': {
    status: 409,
    message: 'This message id is already used for a different message',
  },
  'messaging.recalled': { status: 409, message: 'The message was recalled' },
  'messaging.not_author': { status: 403, message: 'Only the author can change this message' },
  'messaging.quick_reply_not_found': { status: 404, message: 'No such quick reply' },
  'messaging.role_unreachable': {
    status: 409,
    message: 'Nobody answers for this duty role now and it has no usable fallback',
  },
  'files.not_found': { status: 404, message: 'No such attachment' },
  'files.too_large': { status: 413, message: 'The attachment is too large' },
  'files.unsupported_type': {
    status: 415,
    message:
      'This kind of file cannot be attached (images, PDF, Office documents and plain text only)',
  },
  'files.empty': { status: 400, message: 'The attachment is empty' },
  'files.invalid_name': { status: 400, message: 'The file name is not valid' },
  'rosters.role_not_found': { status: 404, message: 'No such duty role' },
  'rosters.shift_not_found': { status: 404, message: 'No such shift' },
  'rosters.pattern_not_found': { status: 404, message: 'No such roster pattern' },
  'rosters.swap_not_found': { status: 404, message: 'No such swap request' },
  'rosters.team_not_found': { status: 404, message: 'No such team' },
  'rosters.user_not_found': { status: 400, message: 'Not an active staff member' },
  'rosters.invalid_fallback': {
    status: 400,
    message: 'The fallback must be an active person or another duty role, without a loop',
  },
  'rosters.swap_not_allowed': {
    status: 403,
    message: 'You cannot act on this swap request',
  },
  'rosters.swap_conflict': {
    status: 409,
    message: 'The swap request is not in a state that allows this',
  },
  'rosters.shift_not_editable': {
    status: 409,
    message: 'The shift was cancelled or has ended and cannot be changed',
  },
  'rosters.calendar_not_found': {
    status: 404,
    message: 'No such calendar or the link was revoked',
  },
  'rosters.import_invalid': {
    status: 422,
    message: 'The roster file has invalid lines; nothing was imported',
  },
  'rosters.import_unreadable': { status: 400, message: 'The roster file cannot be read' },
  'rosters.delegate_required': {
    status: 400,
    message: 'While on duty, an unavailable status needs a delegate',
  },
  'notifications.policy_not_found': {
    status: 404,
    message: 'No notification policy is set on this unit',
  },
  'notifications.rule_invalid': {
    status: 422,
    message: 'The notification rule is not allowed for this priority',
  },
  'notifications.preference_not_allowed': {
    status: 422,
    message: 'The notification policy does not allow this preference',
  },
  'metrics.invalid_range': {
    status: 400,
    message: 'The metrics window must start before it ends and span at most 92 days',
  },
  'results.not_found': { status: 404, message: 'No such result' },
  'results.invalid_resource': {
    status: 400,
    message: 'The FHIR resource is not a result the hub can take',
  },
  'results.alert_not_found': { status: 404, message: 'This result has no alert' },
  'escalation.policy_not_found': { status: 404, message: 'No such escalation policy' },
  'escalation.invalid_target': {
    status: 400,
    message: 'The target is not an active staff member or an active duty role',
  },
  'alert.not_found': { status: 404, message: 'No such alert' },
  'alert.not_target': {
    status: 403,
    message: 'You are not among the people this alert was sent to',
  },
  'alert.closed': {
    status: 409,
    message: 'The alert was already acknowledged or cancelled',
  },
  'alert.read_back_required': {
    status: 422,
    message: 'Accepting a critical result needs the read-back of the value and the action taken',
  },
  'alert.read_back_mismatch': {
    status: 422,
    message: 'The value read back does not match the critical result',
  },
} as const satisfies Record<string, { status: number; message: string }>;

/** Every error code the hub can return. */
export type ErrorCode = keyof typeof ERRORS;

/** Every code, in catalogue order. */
export const ERROR_CODES = Object.keys(ERRORS) as ErrorCode[];
