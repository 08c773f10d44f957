/**
 * An image that passed every check a device or gateway makes before installing: TUF metadata of
 * the image repository and of the director, the SUIT manifest, and the ledger authorisation.
 *
 * `image` is a private copy of exactly the bytes whose digest was verified: the installer writes
 * these bytes and no others (check-then-swap defence).
 */
export interface VerifiedUpdate {
  /** The TUF target path, e.g. `po-200/rev-a/2.4.1.bin`. */
  readonly targetPath: string;
  /** The firmware version the image carries, e.g. `2.4.1`. */
  readonly version: string;
  /** The SUIT manifest sequence number: the anti-rollback counter moves to it after a confirmed boot. */
  readonly sequence: number;
  /** The hardware id the image was built for, e.g. `po-200.rev-a`. */
  readonly hardwareId: string;
  /** Lower-case hex SHA-256 of `image`. */
  readonly sha256: string;
  /** Length of `image` in bytes. */
  readonly length: number;
  /** A private copy of exactly the verified bytes: install these and no others. */
  readonly image: Uint8Array;
}
