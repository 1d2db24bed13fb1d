/**
 * How the relay's loop waits (ADR 0021, wake-up). Two kinds of wait, deliberately different:
 *
 * - `waitForWork` idles between passes and ends early on `wake()` (a NOTIFY from a committing writer,
 *   or `flush()`), so a commit is published without waiting for the poll; a wake-up that arrives while
 *   nobody waits is remembered, so it cannot fall between a pass and the next wait.
 * - `sleep` (back-off after an error, a standby's wait before contending again) ignores wake-ups, so a
 *   stream of notifications cannot turn the back-off into a busy loop; only `stop()` cuts it short.
 */
export class OutboxWakeup {
  private waiter: (() => void) | null = null;
  private pending = false;
  private stopSignal = new AbortController();

  /** Re-arms after a `stop()`, for a relay that is started again. */
  restart(): void {
    this.stopSignal = new AbortController();
  }

  /** Ends every current and future wait at once, until `restart()`. */
  stop(): void {
    this.stopSignal.abort();
    this.wake();
  }

  wake(): void {
    const waiter = this.waiter;
    if (waiter) {
      this.waiter = null;
      waiter();
    } else {
      this.pending = true;
    }
  }

  /** Waits for a wake-up, stop() or `ms`, whichever comes first. */
  waitForWork(ms: number): Promise<void> {
    if (this.pending || this.stopSignal.signal.aborted) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        if (this.waiter === done) this.waiter = null;
        this.pending = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiter = done;
    });
  }

  /** Sleeps for `ms`; only stop() cuts it short, wake-ups do not. */
  sleep(ms: number): Promise<void> {
    const signal = this.stopSignal.signal;
    if (signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', finish);
        resolve();
      };
      const timer = setTimeout(finish, ms);
      signal.addEventListener('abort', finish);
    });
  }
}
