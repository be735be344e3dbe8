/**
 * Shares a read among callers that ask at nearly the same time without ever
 * handing one of them a result older than its call: the first caller starts a
 * read; callers that ask while it is in flight share the next read, which
 * starts when that one ends. Many concurrent callers thus cost about one read
 * per round trip instead of one each. Callers must not mutate the result.
 */
export class SharedRead<T> {
  private now: Promise<T> | null = null;
  private next: Promise<T> | null = null;

  constructor(private readonly read: () => Promise<T>) {}

  get(): Promise<T> {
    if (!this.now) return this.start();
    if (!this.next) {
      const settled = this.now.then(
        () => undefined,
        () => undefined,
      );
      this.next = settled.then(() => {
        this.next = null;
        return this.start();
      });
    }
    return this.next;
  }

  private start(): Promise<T> {
    const read = this.read();
    this.now = read;
    const done = () => {
      if (this.now === read) this.now = null;
    };
    read.then(done, done);
    return read;
  }
}
