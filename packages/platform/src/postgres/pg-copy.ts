import type { PoolClient } from 'pg';

/** The part of `pg`'s connection a COPY needs (the protocol messages `pg-copy-streams` uses too). */
interface CopyConnection {
  query(text: string): void;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
}

/** Bytes per CopyData message. */
const CHUNK = 1 << 16;

/**
 * `COPY ... FROM STDIN` over a `pg` client without a stream library: a submittable query (the
 * interface `pg` offers for custom protocol flows) that answers the server's CopyInResponse with
 * the data in CopyData messages, then CopyDone, and settles on ReadyForQuery.
 */
class CopyFromBuffer {
  private error: Error | undefined;
  /** Settles when the server has answered the whole COPY. */
  readonly done: Promise<void>;
  private settle!: { resolve: () => void; reject: (e: Error) => void };

  constructor(
    private readonly text: string,
    private readonly data: Buffer,
  ) {
    this.done = new Promise<void>((resolve, reject) => {
      this.settle = { resolve, reject };
    });
  }

  submit(connection: CopyConnection): void {
    connection.query(this.text);
  }

  handleCopyInResponse(connection: CopyConnection): void {
    for (let at = 0; at < this.data.length; at += CHUNK) {
      connection.sendCopyFromChunk(this.data.subarray(at, at + CHUNK));
    }
    connection.endCopyFrom();
  }

  /** Like `pg`'s own queries: settles at once (a lost connection sends no ReadyForQuery). */
  handleError(e: Error): void {
    this.error = e;
    this.settle.reject(e);
  }

  handleReadyForQuery(): void {
    if (this.error === undefined) this.settle.resolve();
  }

  handleCommandComplete(): void {}
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleEmptyQuery(): void {}
  handleCopyData(): void {}
  handlePortalSuspended(): void {}
}

/** Runs `COPY <target> FROM STDIN WITH (FORMAT csv)` on `client` with `csv` as the data. */
export async function copyFromCsv(client: PoolClient, target: string, csv: string): Promise<void> {
  const copy = new CopyFromBuffer(`COPY ${target} FROM STDIN WITH (FORMAT csv)`, Buffer.from(csv, 'utf8'));
  client.query(copy as unknown as Parameters<PoolClient['query']>[0]);
  await copy.done;
}
