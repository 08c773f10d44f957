/**
 * A Mosquitto of the test's own, as a child process on a free port, that can be stopped gracefully
 * (SIGTERM: with `persistence`, the broker writes its sessions and queued messages to disk first)
 * or killed, and started again on the same port and store. Like `ChildBroker`
 * (`packages/gateway/src/testing/mosquitto-child.ts`), plus persistence and waiting for the exit.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, portOpen } from '../../../packages/gateway/src/testing/free-port.js';
import { stopChild } from '../../../packages/gateway/src/testing/stop-child.js';
import { environment, MOSQUITTO_BIN, sleep } from './env.js';

/** A mosquitto child process. */
export interface ChildMosquitto {
  readonly port: number;
  /** `mqtt://127.0.0.1:<port>`. */
  readonly url: string;
  /** (Re)starts it on the same port and store; resolves once it listens. */
  start(): Promise<void>;
  /** Stops it with `signal` (default SIGTERM, graceful) and resolves once it has exited. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Kills it and removes its directory. */
  dispose(): Promise<void>;
}

/**
 * Starts `mosquitto -c <config>` listening on 127.0.0.1:<free port>, anonymous clients allowed;
 * with `persistence`, sessions, subscriptions and queued QoS 1/2 messages are kept in its
 * directory across a graceful restart (as a hospital broker is configured).
 */
export async function startMosquitto({ persistence = false } = {}): Promise<ChildMosquitto> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'healthit-fault-mqtt-'));
  // Mosquitto started as root drops to its own user, which must read the config and write the store.
  await chmod(dir, 0o777);
  const config = join(dir, 'mosquitto.conf');
  await writeFile(
    config,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      'max_queued_messages 0',
      ...(environment.FAULT_MQTT_LOG ? ['log_type all', `log_dest file ${environment.FAULT_MQTT_LOG}`] : []),
      ...(persistence ? ['persistence true', `persistence_location ${dir}/`, 'autosave_interval 1'] : []),
      '',
    ].join('\n'),
    { mode: 0o644 },
  );
  let child: ChildProcess | undefined;

  const start = async (): Promise<void> => {
    const deadline = Date.now() + 15_000;
    let stderr = '';
    for (;;) {
      const p = spawn(MOSQUITTO_BIN, ['-c', config], { stdio: ['ignore', 'ignore', 'pipe'] });
      child = p;
      let spawnError: Error | undefined;
      p.once('error', (e) => {
        spawnError = e;
      });
      p.stderr?.on('data', (chunk: Buffer) => {
        if (stderr.length < 20_000) stderr += chunk.toString();
      });
      while (p.exitCode === null && p.signalCode === null) {
        if (spawnError !== undefined)
          throw new Error(`${MOSQUITTO_BIN} could not be started: ${spawnError.message}`);
        if (await portOpen(port)) return;
        if (Date.now() > deadline) throw new Error(`mosquitto did not listen on port ${port}: ${stderr}`);
        await sleep(20);
      }
      // A restart on the same port can lose the race with the old socket: try again.
      if (Date.now() > deadline) throw new Error(`mosquitto kept exiting on port ${port}: ${stderr}`);
      await sleep(100);
    }
  };

  const stop = (signal: NodeJS.Signals = 'SIGTERM'): Promise<void> => {
    const p = child;
    child = undefined;
    return stopChild(p, signal);
  };

  await start();
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    start,
    stop,
    async dispose() {
      await stop('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    },
  };
}
