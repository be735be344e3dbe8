/** True when `tz` is an IANA time zone the runtime knows (`Europe/Moscow`, `Asia/Vladivostok`). */
export function isValidTimeZone(tz: string): boolean {
  if (!tz || !/^[A-Za-z_]+(\/[A-Za-z0-9_+-]+)*$/.test(tz)) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
