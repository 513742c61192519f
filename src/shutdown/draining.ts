/**
 * Whether the process is draining (SIGTERM received): /readyz then answers 503 and every
 * response closes its connection. One owner, one way to change it: gracefulShutdown calls
 * start(); everything else only reads `active`.
 */
export class Draining {
  private started = false;

  get active(): boolean {
    return this.started;
  }

  start(): void {
    this.started = true;
  }
}
