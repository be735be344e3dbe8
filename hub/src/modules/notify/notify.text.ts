/**
 * The only words an external channel ever carries: a fixed sentence, a short
 * code and a link into Konsilium. No message text, no names, no patient data:
 * the inputs are a code and a link, nothing else can reach the output.
 */
export interface ExternalContent {
  /** Short code such as `K-1234`. */
  code: string;
  /** Link into the hub or client (http/https). */
  link: string;
}

/** The SMS text and e-mail body. */
export function renderExternalText({ code, link }: ExternalContent): string {
  return `Konsilium: требуется ваше внимание, код ${code}. ${link}`;
}

/** The e-mail subject. */
export function renderExternalSubject({ code }: Pick<ExternalContent, 'code'>): string {
  return `Konsilium: требуется ваше внимание (${code})`;
}

/**
 * Substitutes `{phone}` and `{text}` in a gateway template; every value goes
 * through `encode`, so no value can add parameters, paths or fragments.
 */
export function fillTemplate(
  template: string,
  values: { phone: string; text: string },
  encode: (value: string) => string,
): string {
  return template.replace(/\{(phone|text)\}/g, (_m, key: 'phone' | 'text') => encode(values[key]));
}

/** Encoding of a body value for a content type: JSON-escaped or form-encoded. */
export function bodyEncoder(contentType: string): (value: string) => string {
  return /json/i.test(contentType)
    ? (v) => JSON.stringify(v).slice(1, -1)
    : (v) => encodeURIComponent(v);
}
