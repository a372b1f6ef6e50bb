/**
 * `perSecond` on average, up to `windowMs` worth at once. One bucket may be shared: the
 * sessions of a directory share one, and the whole server shares another.
 */
export class TokenBucket {
  /** Names the bound in a summary: `100 changes/s`, `200 changes/s per directory`. */
  readonly label: string;
  readonly #perSecond: number;
  readonly #capacity: number;
  #tokens: number;
  #refilledAt = Date.now();

  constructor(perSecond: number, windowMs: number, label: string) {
    this.label = label;
    this.#perSecond = perSecond;
    this.#capacity = Math.max(1, (perSecond * windowMs) / 1000);
    this.#tokens = this.#capacity;
  }

  /** Whether one change fits now. */
  has(): boolean {
    const now = Date.now();
    const refill = ((now - this.#refilledAt) * this.#perSecond) / 1000;
    this.#tokens = Math.min(this.#capacity, this.#tokens + refill);
    this.#refilledAt = now;
    return this.#tokens >= 1;
  }

  /** Spends one change's place; call only after `has()` said there is one. */
  spend(): void {
    this.#tokens -= 1;
  }
}
