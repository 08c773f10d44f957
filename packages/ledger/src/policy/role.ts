import { z } from 'zod';

/**
 * A role, written `party.function` (Hyperledger Fabric's `org.role` principal), e.g.
 * `manufacturer.release`, `manufacturer.qa`, `hospital.biomed`, `freight.driver`: two parts of
 * 1-64 letters, digits, `_` or `-`, starting with a letter or digit, joined by one dot. Keys hold
 * roles; endorsement rules name them.
 */
export const Role = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}\.[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/,
    'must be "party.function", e.g. "manufacturer.release" (letters, digits, "_", "-")',
  );
export type Role = z.infer<typeof Role>;
