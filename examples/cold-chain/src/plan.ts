import { ORGANISATIONS } from './consortium.js';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

/** How a place holds its temperature: a set point, a regulation cycle and sensor noise. */
export interface TemperatureProfile {
  /** Mean temperature, °C. */
  readonly baseCelsius: number;
  /** Half the peak-to-peak swing of the cooling cycle, °C. */
  readonly cycleCelsius: number;
  /** Period of the cooling cycle. */
  readonly cycleMs: number;
  /** Largest random deviation of one reading, °C (uniform, before rounding to 0.1 °C). */
  readonly noiseCelsius: number;
}

/** One stretch of the journey: the shipment sits in one place, watched by one logger. */
export interface Leg {
  /** The organisation holding the shipment. */
  readonly custodian: string;
  /** Where, in words. */
  readonly place: string;
  /** The temperature logger's device id (it signs its batches with the key of the same id). */
  readonly logger: string;
  /** Start and end, ms after the journey's start (end exclusive). */
  readonly startMs: number;
  readonly endMs: number;
  readonly profile: TemperatureProfile;
}

/** A hand-over: the releasing and receiving keys both sign the `custody.transfer`. */
export interface Handover {
  /** When, ms after the journey's start. */
  readonly atMs: number;
  readonly from: string;
  readonly to: string;
  /** Key id of the releasing party's signer. */
  readonly releasedBy: string;
  /** Key id of the receiving party's signer. */
  readonly receivedBy: string;
  /** The loggers that watch the shipment while the receiver holds it (named in the transfer). */
  readonly monitoredBy: readonly string[];
  readonly sealIntact: boolean;
}

/** A temperature excursion injected into one logger's readings. */
export interface ExcursionPlan {
  readonly logger: string;
  /** When the temperature starts to rise, ms after the journey's start. */
  readonly startMs: number;
  readonly riseMs: number;
  readonly holdMs: number;
  readonly fallMs: number;
  /** The temperature reached, °C. */
  readonly peakCelsius: number;
}

/** A lot of vials in the shipment. */
export interface Lot {
  readonly id: string;
  readonly vials: number;
}

/** Everything the journey simulates. Times are ms after `startTs`. */
export interface JourneyPlan {
  /** The journey's start, epoch ms. */
  readonly startTs: number;
  /** The journey's end (the pharmacist verifies a vial then), ms after the start. */
  readonly endMs: number;
  readonly shipment: string;
  /** GS1 GTIN of the product. */
  readonly gtin: string;
  readonly product: string;
  readonly lots: readonly Lot[];
  readonly legs: readonly Leg[];
  readonly handovers: readonly Handover[];
  readonly excursion?: ExcursionPlan;
  /** A logger reads every `readingPeriodMs`. */
  readonly readingPeriodMs: number;
  /** Loggers anchor their readings every `batchPeriodMs` (and when they stop). */
  readonly batchPeriodMs: number;
  /** The key of each custodian's monitoring gateway (signs excursion flags). */
  readonly monitors: Readonly<Record<string, string>>;
}

/** Options of {@link coldChainPlan}. */
export interface PlanOptions {
  /** Inject the reefer excursion (default true). */
  readonly excursion?: boolean;
  /** The journey's start (default 2026-03-02T06:00:00Z). */
  readonly startTs?: number;
}

const { manufacturer, freight, pharmacy } = ORGANISATIONS;

/**
 * The example's journey, 38 hours: Acme Pharma hands the shipment (two lots, 600 vials) to Swift
 * Logistics at 06:00; a reefer truck carries it for 20 h, a van for 10 h; City Pharmacy receives it
 * at 12:00 next day and keeps it in its fridge; the pharmacist verifies a vial at 20:00. With an
 * excursion, the truck's door is left open at a delivery stop 15 h into the journey: the load
 * warms to about 9.6 °C for half an hour.
 */
export function coldChainPlan(options: PlanOptions = {}): JourneyPlan {
  const truckEnd = 20 * HOUR_MS;
  const vanEnd = 30 * HOUR_MS;
  const end = 38 * HOUR_MS;
  return {
    startTs: options.startTs ?? Date.UTC(2026, 2, 2, 6, 0),
    endMs: end,
    shipment: 'SHP-2026-0042',
    gtin: '09506000134352',
    product: 'Influenza vaccine, 0.5 mL pre-filled syringe, 2–8 °C',
    lots: [
      { id: 'LOT-A2231', vials: 400 },
      { id: 'LOT-A2232', vials: 200 },
    ],
    legs: [
      {
        custodian: freight.id,
        place: 'reefer truck TRK-12',
        logger: 'swift-TRK-12',
        startMs: 0,
        endMs: truckEnd,
        profile: { baseCelsius: 4.6, cycleCelsius: 0.6, cycleMs: 40 * MINUTE_MS, noiseCelsius: 0.15 },
      },
      {
        custodian: freight.id,
        place: 'delivery van VAN-3',
        logger: 'swift-VAN-3',
        startMs: truckEnd,
        endMs: vanEnd,
        profile: { baseCelsius: 5.2, cycleCelsius: 0.8, cycleMs: 30 * MINUTE_MS, noiseCelsius: 0.2 },
      },
      {
        custodian: pharmacy.id,
        place: 'vaccine fridge FR-2',
        logger: 'city-FR-2',
        startMs: vanEnd,
        endMs: end,
        profile: { baseCelsius: 4.9, cycleCelsius: 0.4, cycleMs: 25 * MINUTE_MS, noiseCelsius: 0.1 },
      },
    ],
    handovers: [
      {
        atMs: 0,
        from: manufacturer.id,
        to: freight.id,
        releasedBy: 'acme-dispatch',
        receivedBy: 'swift-driver-07',
        monitoredBy: ['swift-TRK-12', 'swift-VAN-3'],
        sealIntact: true,
      },
      {
        atMs: vanEnd,
        from: freight.id,
        to: pharmacy.id,
        releasedBy: 'swift-driver-07',
        receivedBy: 'city-pharmacist',
        monitoredBy: ['city-FR-2'],
        sealIntact: true,
      },
    ],
    ...(options.excursion === false
      ? {}
      : {
          excursion: {
            logger: 'swift-TRK-12',
            startMs: 15 * HOUR_MS + 7 * MINUTE_MS,
            riseMs: 12 * MINUTE_MS,
            holdMs: 25 * MINUTE_MS,
            fallMs: 15 * MINUTE_MS,
            peakCelsius: 9.6,
          },
        }),
    readingPeriodMs: 5 * MINUTE_MS,
    batchPeriodMs: HOUR_MS,
    monitors: { [freight.id]: 'swift-monitor', [pharmacy.id]: 'city-monitor' },
  };
}
