import argon2 from 'argon2';

export interface Argon2Cost {
  /** KiB of memory per hash. */
  memoryCost: number;
  /** Iterations. */
  timeCost: number;
}

/** argon2id hashing with the configured cost; the hash string carries its own parameters and salt. */
export class PasswordHasher {
  private dummy: Promise<string> | null = null;

  constructor(private readonly cost: Argon2Cost) {}

  hash(password: string): Promise<string> {
    return argon2.hash(password, {
      type: argon2.argon2id,
      memoryCost: this.cost.memoryCost,
      timeCost: this.cost.timeCost,
      parallelism: 1,
    });
  }

  async verify(hash: string, password: string): Promise<boolean> {
    try {
      return await argon2.verify(hash, password);
    } catch {
      return false;
    }
  }

  /**
   * Spends the same time as a real check for a login that does not exist, so
   * response time does not tell which logins exist.
   */
  async verifyNothing(password: string): Promise<false> {
    this.dummy ??= this.hash('konsilium-no-such-account');
    await this.verify(await this.dummy, password);
    return false;
  }
}
