/**
 * An array-backed first-in-first-out queue whose `take` and `dropOldest` are O(n taken), not O(length): `shift()` on a
 * large array copies it. Consumed slots are cleared (no retained references) and compacted once they are the larger
 * part of the array.
 */
export class FifoQueue<T> {
  #items: (T | undefined)[] = [];
  #head = 0;

  get length(): number {
    return this.#items.length - this.#head;
  }

  push(item: T): void {
    this.#items.push(item);
  }

  peek(): T | undefined {
    return this.#items[this.#head];
  }

  /** Removes and returns up to `n` items from the front. */
  take(n: number): T[] {
    const end = Math.min(this.#items.length, this.#head + n);
    const out = this.#items.slice(this.#head, end) as T[];
    this.#advance(end);
    return out;
  }

  /** Removes up to `n` items from the front, calling `each` on every one (to count what is lost). */
  dropOldest(n: number, each?: (item: T) => void): number {
    const end = Math.min(this.#items.length, this.#head + n);
    if (each) for (let i = this.#head; i < end; i++) each(this.#items[i] as T);
    const dropped = end - this.#head;
    this.#advance(end);
    return dropped;
  }

  #advance(end: number): void {
    this.#items.fill(undefined, this.#head, end);
    this.#head = end;
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }
}
