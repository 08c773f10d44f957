/**
 * The page: connects to a Bluetooth health device through Web Bluetooth, decodes each notification
 * with `@healthit/device` (`decodeGatt` → `gattToReadings`, the same codecs the gateway runs) and
 * shows the latest value of each measurement with its unit and time, plus the recent history.
 *
 * Flow: button click (the user gesture Web Bluetooth requires) → `navigator.bluetooth.requestDevice`
 * filtered on the profile's service → `gatt.connect()` → `getPrimaryService` → `getCharacteristic`
 * → `startNotifications()` → one `characteristicvaluechanged` event per measurement. A dropped link
 * fires `gattserverdisconnected`: the values stay on screen, marked as stale, and "Reconnect" is
 * offered.
 */
import { METRICS, type MetricId, type Reading } from '@healthit/core';
import { decodeGatt, gattToReadings } from '@healthit/device';
import { deviceIdOf, type HealthProfile, PROFILES, type ProfileId } from './profiles.js';
import type { Bluetooth, BluetoothDevice, BluetoothRemoteGATTCharacteristic } from './web-bluetooth-types.js';

/** How many notifications the history list keeps. */
const HISTORY_LENGTH = 10;

/** Units as shown, and as a screen reader should say them. */
const UNIT_WORDS: Readonly<Record<string, string>> = {
  '%': 'percent',
  '/min': 'per minute',
  Cel: 'degrees Celsius',
  'mm[Hg]': 'millimetres of mercury',
};
const UNIT_TEXT: Readonly<Record<string, string>> = { Cel: '°C', 'mm[Hg]': 'mmHg' };

interface Connection {
  readonly profile: HealthProfile;
  readonly device: BluetoothDevice;
  characteristic?: BluetoothRemoteGATTCharacteristic;
  /** The next reading seq of this device (strictly increasing, as core requires). */
  nextSeq: number;
  /** Set when the user pressed Disconnect (then no "connection lost" message). */
  closing: boolean;
}

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`the page has no #${id}`);
  return found as T;
}

const ui = {
  support: element<HTMLParagraphElement>('support'),
  status: element<HTMLParagraphElement>('status'),
  problem: element<HTMLParagraphElement>('problem'),
  readings: element<HTMLDListElement>('readings'),
  history: element<HTMLOListElement>('history'),
  disconnect: element<HTMLButtonElement>('disconnect'),
  reconnect: element<HTMLButtonElement>('reconnect'),
  connect: {
    'pulse-oximeter': element<HTMLButtonElement>('connect-pulse-oximeter'),
    'heart-rate': element<HTMLButtonElement>('connect-heart-rate'),
  } satisfies Record<ProfileId, HTMLButtonElement>,
};

let connection: Connection | undefined;

function setStatus(text: string, state: 'idle' | 'connecting' | 'connected' | 'disconnected'): void {
  ui.status.textContent = text;
  ui.status.dataset.state = state;
}

function showProblem(text: string): void {
  ui.problem.textContent = text;
  ui.problem.hidden = text === '';
}

function setButtons(state: 'idle' | 'busy' | 'connected' | 'disconnected'): void {
  for (const button of Object.values(ui.connect)) button.disabled = state === 'busy' || state === 'connected';
  ui.disconnect.disabled = state !== 'connected';
  ui.reconnect.hidden = state !== 'disconnected';
  ui.reconnect.disabled = state !== 'disconnected';
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function displayOf(metric: string): string {
  return Object.hasOwn(METRICS, metric) ? METRICS[metric as MetricId].display : metric;
}

/** `97 %` as `<span class="value">97</span> <abbr title="percent">%</abbr>`. */
function valueNodes(value: number, unit: string): Node[] {
  const number = document.createElement('span');
  number.className = 'value';
  number.textContent = String(Math.round(value * 10) / 10);
  const words = UNIT_WORDS[unit];
  const unitNode = document.createElement(words ? 'abbr' : 'span');
  unitNode.className = 'unit';
  unitNode.textContent = UNIT_TEXT[unit] ?? unit;
  if (words) unitNode.title = words;
  return [number, document.createTextNode(' '), unitNode];
}

function timeNode(ts: number): HTMLTimeElement {
  const time = document.createElement('time');
  time.dateTime = new Date(ts).toISOString();
  time.textContent = new Date(ts).toLocaleTimeString();
  return time;
}

/** Shows a reading as the latest of its metric (one `<div>` of `<dt>`/`<dd>` per metric). */
function showLatest(reading: Reading): void {
  let row = ui.readings.querySelector<HTMLDivElement>(`[data-metric="${reading.metric}"]`);
  if (!row) {
    row = document.createElement('div');
    row.className = 'reading';
    row.dataset.metric = reading.metric;
    const term = document.createElement('dt');
    term.textContent = displayOf(reading.metric);
    row.append(term, document.createElement('dd'));
    ui.readings.append(row);
  }
  row.classList.remove('stale');
  const detail = row.querySelector('dd') as HTMLElement;
  const quality = reading.quality && reading.quality !== 'good' ? [` (${reading.quality} measurement)`] : [];
  detail.replaceChildren(
    ...valueNodes(reading.value, reading.unit),
    ...quality,
    document.createTextNode(' at '),
    timeNode(reading.ts),
  );
}

function addHistory(text: string, ts: number): void {
  const item = document.createElement('li');
  item.append(timeNode(ts), document.createTextNode(` ${text}`));
  ui.history.prepend(item);
  while (ui.history.children.length > HISTORY_LENGTH) ui.history.lastElementChild?.remove();
}

/** One notification: decode, turn into readings, show. A bad frame is reported, never fatal. */
function onNotification(current: Connection, value: DataView | undefined): void {
  if (!value) return;
  const receivedAt = Date.now();
  try {
    const measurement = decodeGatt(current.profile.characteristicUuid16, value);
    const { readings, events } = gattToReadings(measurement, {
      deviceId: deviceIdOf(current.device.id),
      seq: () => current.nextSeq++,
      fallbackTs: receivedAt,
    });
    for (const reading of readings) showLatest(reading);
    if (readings.length > 0) {
      addHistory(
        readings
          .map(
            (r) => `${displayOf(r.metric)} ${Math.round(r.value * 10) / 10} ${UNIT_TEXT[r.unit] ?? r.unit}`,
          )
          .join(', '),
        readings[0]?.ts ?? receivedAt,
      );
    }
    for (const event of events) addHistory(event.message, receivedAt);
    showProblem('');
    setStatus(`Connected to ${current.device.name ?? 'the device'}: receiving measurements.`, 'connected');
  } catch (error) {
    showProblem(
      `A notification from ${current.device.name ?? 'the device'} could not be read: ${describeError(error)}`,
    );
  }
}

async function startNotifications(current: Connection): Promise<void> {
  const gatt = current.device.gatt;
  if (!gatt) throw new Error('this device has no GATT server');
  await gatt.connect();
  const service = await gatt.getPrimaryService(current.profile.service);
  const characteristic = await service.getCharacteristic(current.profile.characteristic);
  characteristic.addEventListener('characteristicvaluechanged', () => {
    if (connection === current) onNotification(current, characteristic.value);
  });
  await characteristic.startNotifications();
  current.characteristic = characteristic;
}

function onDisconnected(current: Connection): void {
  if (connection !== current) return;
  for (const row of ui.readings.querySelectorAll<HTMLElement>('.reading')) {
    if (row.classList.contains('stale')) continue;
    row.classList.add('stale');
    const note = document.createElement('span');
    note.className = 'stale-note';
    note.textContent = ' (last value, not live)';
    row.querySelector('dd')?.append(note);
  }
  const name = current.device.name ?? 'the device';
  if (current.closing) {
    setStatus(`Disconnected from ${name}. The last values shown are not live.`, 'disconnected');
  } else {
    setStatus(`Connection to ${name} lost. The last values shown are not live.`, 'disconnected');
  }
  addHistory(current.closing ? 'Disconnected' : 'Connection lost', Date.now());
  setButtons('disconnected');
}

async function connect(profile: HealthProfile, bluetooth: Bluetooth): Promise<void> {
  setButtons('busy');
  showProblem('');
  setStatus('Choose a device in the browser’s dialog…', 'connecting');
  let device: BluetoothDevice;
  try {
    device = await bluetooth.requestDevice({ filters: [{ services: [profile.service] }] });
  } catch (error) {
    setStatus('Not connected', 'idle');
    setButtons(connection ? 'disconnected' : 'idle');
    // NotFoundError: the user closed the chooser, or no device was found.
    showProblem(
      error instanceof DOMException && error.name === 'NotFoundError'
        ? 'No device was chosen.'
        : `Could not open the device chooser: ${describeError(error)}`,
    );
    return;
  }
  const current: Connection = { profile, device, nextSeq: 0, closing: false };
  connection = current;
  ui.readings.replaceChildren();
  device.addEventListener('gattserverdisconnected', () => onDisconnected(current));
  await open(current);
}

async function open(current: Connection): Promise<void> {
  const name = current.device.name ?? 'the device';
  setButtons('busy');
  current.closing = false;
  setStatus(`Connecting to ${name}…`, 'connecting');
  try {
    await startNotifications(current);
    setStatus(`Connected to ${name}: waiting for measurements.`, 'connected');
    setButtons('connected');
  } catch (error) {
    setStatus(`Could not connect to ${name}.`, 'disconnected');
    showProblem(`${describeError(error)}. Move the device closer, check it is on, and press Reconnect.`);
    setButtons('disconnected');
  }
}

function main(): void {
  const bluetooth = (navigator as Navigator & { bluetooth?: Bluetooth }).bluetooth;
  if (!bluetooth) {
    ui.support.textContent =
      'This browser cannot reach Bluetooth devices: use Chrome or Edge (desktop or Android) on a page served over https or from localhost.';
    ui.support.hidden = false;
    for (const button of Object.values(ui.connect)) button.disabled = true;
    setStatus('Web Bluetooth is not available', 'idle');
    return;
  }
  for (const id of Object.keys(PROFILES) as ProfileId[]) {
    ui.connect[id].addEventListener('click', () => void connect(PROFILES[id], bluetooth));
  }
  ui.disconnect.addEventListener('click', () => {
    if (!connection) return;
    connection.closing = true;
    connection.device.gatt?.disconnect();
  });
  ui.reconnect.addEventListener('click', () => {
    if (connection) void open(connection);
  });
  setButtons('idle');
  setStatus('Not connected', 'idle');
  document.body.dataset.ready = 'true';
}

main();
