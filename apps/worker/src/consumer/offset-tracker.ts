/**
 * Commands of one partition finish out of order (different instances run in parallel), but Kafka
 * commits one offset per partition: everything below it counts as done. The tracker commits only
 * up to the lowest offset still in flight, so a crash redelivers every unfinished command (and a few
 * finished ones, which idempotency absorbs).
 */
export class PartitionOffsetTracker {
  private readonly inFlight: number[] = [];
  private readonly done = new Set<number>();
  private highestSeen = -1;
  private committed = -1;

  /** Offsets must be added in increasing order (the order Kafka delivers them). */
  add(offset: number): void {
    if (offset <= this.highestSeen) return;
    this.inFlight.push(offset);
    this.highestSeen = offset;
  }

  complete(offset: number): void {
    this.done.add(offset);
    while (this.inFlight.length > 0 && this.done.has(this.inFlight[0] as number)) {
      this.done.delete(this.inFlight.shift() as number);
    }
  }

  /** The offset to commit (the next one to consume), or null when nothing new is committable. */
  committable(): number | null {
    const next = this.inFlight.length > 0 ? (this.inFlight[0] as number) : this.highestSeen + 1;
    return next > this.committed && next > 0 ? next : null;
  }

  markCommitted(offset: number): void {
    this.committed = Math.max(this.committed, offset);
  }

  get pending(): number {
    return this.inFlight.length;
  }
}
