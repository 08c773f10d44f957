/**
 * `@healthit/gateway/testing/mosquitto`: a Mosquitto of our own, as a child process on a free port,
 * for tests that stop or configure the broker and for demos that run their own (no test framework
 * needed).
 * @packageDocumentation
 */
import { type ChildProcess, spawn } from 'node:child_process';

import { portOpen } from './free-port.js';

export { freePort } from './free-port.js';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A Mosquitto of our own, as a child process, for tests that stop the broker. */
export class ChildBroker {
  private child: ChildProcess | undefined;
  /**
   * Describes a broker; nothing runs until {@link ChildBroker.start}.
   * @param port The TCP port on 127.0.0.1 the broker listens on (e.g. from `freePort()`).
   * @param configPath A mosquitto configuration file, passed as `-c` instead of `-p port` (it must
   *   make the broker listen on `port`).
   * @param bin The broker binary (default `mosquitto` from `PATH`).
   */
  constructor(
    /** The TCP port on 127.0.0.1 the broker listens on. */
    readonly port: number,
    private readonly configPath?: string,
    /** The broker binary (default `mosquitto` from `PATH`). */
    private readonly bin = 'mosquitto',
  ) {}

  /** The broker's URL for MQTT clients: `mqtt://127.0.0.1:<port>`. */
  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  /**
   * Starts mosquitto and waits until it listens. A restart on the same port can lose the race with
   * the killed broker's socket (mosquitto then exits at once), so an early exit is retried until
   * the deadline.
   */
  async start(): Promise<void> {
    const args = this.configPath === undefined ? ['-p', String(this.port)] : ['-c', this.configPath];
    const deadline = Date.now() + 15_000;
    let stderr = '';
    for (;;) {
      const child = spawn(this.bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      this.child = child;
      let spawnError: Error | undefined;
      child.once('error', (e) => {
        spawnError = e;
      });
      child.stderr?.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      while (child.exitCode === null && child.signalCode === null) {
        if (spawnError !== undefined)
          throw new Error(`${this.bin} could not be started: ${spawnError.message}`);
        if (await portOpen(this.port)) return;
        if (Date.now() > deadline)
          throw new Error(`mosquitto did not listen on port ${this.port}: ${stderr}`);
        await sleep(20);
      }
      if (Date.now() > deadline) throw new Error(`mosquitto kept exiting on port ${this.port}: ${stderr}`);
      await sleep(100);
    }
  }

  /**
   * Sends a signal to the running broker (e.g. `SIGSTOP` to freeze it, `SIGCONT` to resume); no-op
   * when it was not started.
   */
  signal(signal: NodeJS.Signals): void {
    this.child?.kill(signal);
  }

  /**
   * Kills the broker (SIGKILL, after SIGCONT in case it was stopped) and resolves once it has
   * exited; no-op when it is not running. It can be started again.
   */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGCONT');
    child.kill('SIGKILL');
    await exited;
  }
}
