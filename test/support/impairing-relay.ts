/**
 * A TURN server of the tests' own that impairs what passes through it (issue 17 §3): delay, random loss and a rate
 * limit, configurable per direction. This machine's kernel has no `netem`, and Chromium's own network emulation does
 * not touch WebRTC media, so a poor connection is made in user space, in the media path: the victim's browser is
 * forced through this relay (`iceTransportPolicy: 'relay'`) and every packet between its phone and the server goes
 * through the impaired "access link" modelled here.
 *
 * Protocol: the part of RFC 5766 (TURN over UDP) a browser uses, with RFC 5389 long-term credentials: Allocate,
 * Refresh, CreatePermission, ChannelBind, Send and Data indications, ChannelData; Binding answered too. IPv4 only,
 * one relayed UDP socket per allocation, on the same host. Not for production (coturn is, ARCHITECTURE §4).
 *
 * The link model, per direction ("up": client to relay, i.e. the victim's uploads; "down": relay to client):
 * a packet is first lost at random (`lossRate`), then queued behind the packets before it and drained at
 * `rateKbps` (a token bucket holding `burstBytes`; a packet that would wait longer than `maxQueueMs` is dropped, as a
 * mobile network's buffer does), then delivered after `delayMs` (one way; RTT = up.delayMs + down.delayMs). Sizes
 * count the IPv4 and UDP headers (28 bytes), as a radio link carries them.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import os from 'node:os';
import { crc32 } from 'node:zlib';

export interface LinkImpairment {
  /** One-way delay added to every packet, in milliseconds. */
  delayMs?: number;
  /** Probability (0..1) that a packet is dropped at random. */
  lossRate?: number;
  /** The link's rate in kbit/s (IP packet sizes); undefined = unlimited. */
  rateKbps?: number;
  /** Bytes that may go at once after a quiet spell (the token bucket's depth). Default 3000. */
  burstBytes?: number;
  /** A packet that would queue longer than this is dropped (tail drop). Default 400 ms. */
  maxQueueMs?: number;
}

export interface NetworkProfile {
  name: string;
  up: LinkImpairment;
  down: LinkImpairment;
}

/** The profiles. 3G-like: 300 ms RTT, 1 % loss, 400 kbit/s. 2G-like: 128 kbit/s (EDGE-like RTT and loss). */
export const PROFILES = {
  '3g': { name: '3G-like', up: { delayMs: 150, lossRate: 0.01, rateKbps: 400 }, down: { delayMs: 150, lossRate: 0.01, rateKbps: 400 } },
  '2g': {
    name: '2G-like',
    up: { delayMs: 250, lossRate: 0.01, rateKbps: 128, maxQueueMs: 600 },
    down: { delayMs: 250, lossRate: 0.01, rateKbps: 128, maxQueueMs: 600 },
  },
  clear: { name: 'unimpaired', up: {}, down: {} },
} satisfies Record<string, NetworkProfile>;

export interface LinkCounters {
  packets: number;
  bytes: number;
  lostAtRandom: number;
  droppedQueueFull: number;
}

const MAGIC = 0x2112a442;
const IP_UDP_OVERHEAD = 28;

export const Method = { binding: 0x001, allocate: 0x003, refresh: 0x004, send: 0x006, data: 0x007, createPermission: 0x008, channelBind: 0x009 } as const;
export const Class = { request: 0x000, indication: 0x010, success: 0x100, error: 0x110 } as const;
export const Attr = {
  username: 0x0006,
  messageIntegrity: 0x0008,
  errorCode: 0x0009,
  channelNumber: 0x000c,
  lifetime: 0x000d,
  xorPeerAddress: 0x0012,
  data: 0x0013,
  realm: 0x0014,
  nonce: 0x0015,
  xorRelayedAddress: 0x0016,
  requestedAddressFamily: 0x0017,
  requestedTransport: 0x0019,
  xorMappedAddress: 0x0020,
  software: 0x8022,
  fingerprint: 0x8028,
} as const;

export interface StunMessage {
  method: number;
  klass: number;
  transactionId: Buffer;
  attributes: { type: number; value: Buffer }[];
}

export interface Address {
  address: string;
  port: number;
}

/** Parses a STUN message (RFC 5389 §6); undefined for anything else. */
export function decodeStun(buffer: Buffer): StunMessage | undefined {
  if (buffer.length < 20 || (buffer[0]! & 0xc0) !== 0 || buffer.readUInt32BE(4) !== MAGIC) return undefined;
  const type = buffer.readUInt16BE(0);
  const length = buffer.readUInt16BE(2);
  if (length + 20 > buffer.length || length % 4 !== 0) return undefined;
  const method = (type & 0x000f) | ((type & 0x00e0) >> 1) | ((type & 0x3e00) >> 2);
  const klass = type & 0x0110;
  const attributes: StunMessage['attributes'] = [];
  let offset = 20;
  while (offset + 4 <= 20 + length) {
    const attrType = buffer.readUInt16BE(offset);
    const attrLength = buffer.readUInt16BE(offset + 2);
    if (offset + 4 + attrLength > 20 + length) return undefined;
    attributes.push({ type: attrType, value: buffer.subarray(offset + 4, offset + 4 + attrLength) });
    offset += 4 + Math.ceil(attrLength / 4) * 4;
  }
  return { method, klass, transactionId: Buffer.from(buffer.subarray(8, 20)), attributes };
}

function attribute(type: number, value: Buffer): Buffer {
  const header = Buffer.alloc(4);
  header.writeUInt16BE(type, 0);
  header.writeUInt16BE(value.length, 2);
  return Buffer.concat([header, value, Buffer.alloc((4 - (value.length % 4)) % 4)]);
}

/**
 * Builds a STUN message. With `key`, MESSAGE-INTEGRITY (HMAC-SHA1 over the message so far, the length field already
 * counting it) and FINGERPRINT are appended.
 */
export function encodeStun(message: Omit<StunMessage, 'attributes'> & { attributes: { type: number; value: Buffer }[] }, key?: Buffer): Buffer {
  const m = message.method;
  const type = (m & 0x000f) | ((m & 0x0070) << 1) | ((m & 0x0f80) << 2) | message.klass;
  let body = Buffer.concat(message.attributes.map((a) => attribute(a.type, a.value)));
  const header = (bodyLength: number) => {
    const h = Buffer.alloc(20);
    h.writeUInt16BE(type, 0);
    h.writeUInt16BE(bodyLength, 2);
    h.writeUInt32BE(MAGIC, 4);
    message.transactionId.copy(h, 8);
    return h;
  };
  if (key) {
    const hmac = createHmac('sha1', key)
      .update(Buffer.concat([header(body.length + 24), body]))
      .digest();
    body = Buffer.concat([body, attribute(Attr.messageIntegrity, hmac)]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE((crc32(Buffer.concat([header(body.length + 8), body])) ^ 0x5354554e) >>> 0, 0);
    body = Buffer.concat([body, attribute(Attr.fingerprint, crc)]);
  }
  return Buffer.concat([header(body.length), body]);
}

/** RFC 5389 §15.4: checks MESSAGE-INTEGRITY of a received message against the long-term key. */
export function integrityOk(raw: Buffer, key: Buffer): boolean {
  let offset = 20;
  const end = 20 + raw.readUInt16BE(2);
  while (offset + 4 <= end) {
    const type = raw.readUInt16BE(offset);
    const length = raw.readUInt16BE(offset + 2);
    if (type === Attr.messageIntegrity) {
      const copy = Buffer.from(raw.subarray(0, offset));
      copy.writeUInt16BE(offset + 24 - 20, 2);
      const expected = createHmac('sha1', key).update(copy).digest();
      const given = raw.subarray(offset + 4, offset + 24);
      return given.length === 20 && expected.equals(given);
    }
    offset += 4 + Math.ceil(length / 4) * 4;
  }
  return false;
}

export function longTermKey(username: string, realm: string, password: string): Buffer {
  return createHash('md5').update(`${username}:${realm}:${password}`).digest();
}

/** XOR-MAPPED-ADDRESS style encoding (IPv4). */
export function encodeXorAddress({ address, port }: Address): Buffer {
  const value = Buffer.alloc(8);
  value.writeUInt8(0, 0);
  value.writeUInt8(0x01, 1);
  value.writeUInt16BE(port ^ (MAGIC >>> 16), 2);
  const ip = address.split('.').reduce((n, part) => (n << 8) | Number(part), 0) >>> 0;
  value.writeUInt32BE((ip ^ MAGIC) >>> 0, 4);
  return value;
}

export function decodeXorAddress(value: Buffer): Address | undefined {
  if (value.length < 8 || value[1] !== 0x01) return undefined;
  const port = value.readUInt16BE(2) ^ (MAGIC >>> 16);
  const ip = (value.readUInt32BE(4) ^ MAGIC) >>> 0;
  return { address: [ip >>> 24, (ip >>> 16) & 255, (ip >>> 8) & 255, ip & 255].join('.'), port };
}

export const stunText = (value: string) => Buffer.from(value, 'utf8');
export const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0, 0);
  return b;
};
export function errorCode(code: number, reason: string): Buffer {
  return Buffer.concat([Buffer.from([0, 0, Math.floor(code / 100), code % 100]), stunText(reason)]);
}

/** One direction of the victim's access link: random loss, then a rate-limited drop-tail queue, then delay. */
export class ImpairedLink {
  readonly counters: LinkCounters = { packets: 0, bytes: 0, lostAtRandom: 0, droppedQueueFull: 0 };
  private freeAt = 0;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    public impairment: LinkImpairment,
    private readonly random: () => number = Math.random,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Calls `deliver` once the packet has crossed the link, or never if the link loses it. */
  carry(size: number, deliver: () => void): void {
    const { delayMs = 0, lossRate = 0, rateKbps, burstBytes = 3000, maxQueueMs = 400 } = this.impairment;
    this.counters.packets++;
    if (lossRate > 0 && this.random() < lossRate) {
      this.counters.lostAtRandom++;
      return;
    }
    const now = this.now();
    let departure = now;
    if (rateKbps !== undefined && rateKbps > 0) {
      const msPerByte = 8 / rateKbps;
      // Tokens saved while the link was idle let a burst of up to burstBytes go at once.
      const start = Math.max(this.freeAt, now - burstBytes * msPerByte);
      const freeAt = start + (size + IP_UDP_OVERHEAD) * msPerByte;
      departure = Math.max(now, freeAt);
      if (departure - now > maxQueueMs) {
        this.counters.droppedQueueFull++;
        return;
      }
      this.freeAt = freeAt;
    }
    this.counters.bytes += size + IP_UDP_OVERHEAD;
    const wait = departure - now + delayMs;
    if (wait < 0.5) return deliver();
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      deliver();
    }, wait);
    this.timers.add(timer);
  }

  close(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}

interface Allocation {
  client: Address;
  relay: dgram.Socket;
  relayed: Address;
  expiresAt: number;
  permissions: Map<string, number>;
  channelByNumber: Map<number, Address>;
  channelByPeer: Map<string, number>;
}

export interface ImpairingRelayOptions {
  host?: string;
  port?: number;
  username?: string;
  password?: string;
  realm?: string;
  profile?: NetworkProfile;
  /** For tests of the relay itself: a seeded random source makes its loss repeatable. */
  random?: () => number;
}

const key = (a: Address) => `${a.address}:${a.port}`;

/**
 * This machine's own IPv4 addresses. Everything in these tests runs on one machine, where a reply from the server's
 * socket may leave from 127.0.0.1 although its candidate (the address the client asked a permission for) was another
 * of the machine's addresses: such a packet is taken as coming from that peer.
 */
function ownAddresses(): Set<string> {
  const own = new Set(['127.0.0.1']);
  for (const list of Object.values(os.networkInterfaces())) for (const a of list ?? []) if (a.family === 'IPv4') own.add(a.address);
  return own;
}
const DEFAULT_LIFETIME_S = 600;
const PERMISSION_LIFETIME_MS = 300_000;

/** The impairing TURN server. `start()` it, give browsers `iceServer`, `setProfile` at any time, `stop()` at the end. */
export class ImpairingRelay {
  readonly username: string;
  readonly password: string;
  readonly realm: string;
  private readonly host: string;
  private readonly socket = dgram.createSocket('udp4');
  private readonly allocations = new Map<string, Allocation>();
  private readonly nonce = randomBytes(8).toString('hex');
  private readonly key: Buffer;
  private readonly own = ownAddresses();
  readonly up: ImpairedLink;
  readonly down: ImpairedLink;
  /** What the relay did with data (for tests and debugging): relayed each way, and refused for want of a permission. */
  readonly relayed = { toPeer: 0, fromPeer: 0, noPermission: 0, requests: new Map<number, number>() };
  port = 0;

  constructor(private readonly options: ImpairingRelayOptions = {}) {
    this.host = options.host ?? '127.0.0.1';
    this.username = options.username ?? 'rvr-test';
    this.password = options.password ?? randomBytes(9).toString('base64url');
    this.realm = options.realm ?? 'rvr.test';
    this.key = longTermKey(this.username, this.realm, this.password);
    const profile = options.profile ?? PROFILES.clear;
    this.up = new ImpairedLink({ ...profile.up }, options.random);
    this.down = new ImpairedLink({ ...profile.down }, options.random);
  }

  async start(): Promise<this> {
    this.socket.on('message', (raw, rinfo) => {
      const client = { address: rinfo.address, port: rinfo.port };
      // Everything the client sends crosses its uplink first.
      this.up.carry(raw.length, () => this.fromClient(raw, client));
    });
    await new Promise<void>((resolve) => this.socket.bind(this.options.port ?? 0, this.host, resolve));
    this.port = this.socket.address().port;
    return this;
  }

  /** What a browser's RTCPeerConnection is given (with `iceTransportPolicy: 'relay'` to force every packet through here). */
  get iceServer(): { urls: string; username: string; credential: string } {
    return { urls: `turn:${this.host}:${this.port}?transport=udp`, username: this.username, credential: this.password };
  }

  setProfile(profile: NetworkProfile): void {
    this.up.impairment = { ...profile.up };
    this.down.impairment = { ...profile.down };
  }

  get allocationCount(): number {
    return this.allocations.size;
  }

  async stop(): Promise<void> {
    this.up.close();
    this.down.close();
    for (const allocation of this.allocations.values()) allocation.relay.close();
    this.allocations.clear();
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }

  private toClient(client: Address, data: Buffer): void {
    this.down.carry(data.length, () => this.socket.send(data, client.port, client.address, () => undefined));
  }

  private fromClient(raw: Buffer, client: Address): void {
    const allocation = this.allocations.get(key(client));
    // ChannelData (RFC 5766 §11.4): the first two bits are 01.
    if (raw.length >= 4 && (raw[0]! & 0xc0) === 0x40) {
      const peer = allocation?.channelByNumber.get(raw.readUInt16BE(0));
      const length = raw.readUInt16BE(2);
      if (allocation && peer && length + 4 <= raw.length) this.toPeer(allocation, raw.subarray(4, 4 + length), peer);
      return;
    }
    const message = decodeStun(raw);
    if (!message) return;
    if (message.klass === Class.indication) {
      if (message.method !== Method.send || !allocation) return;
      const peer = decodeXorAddress(this.attr(message, Attr.xorPeerAddress) ?? Buffer.alloc(0));
      const data = this.attr(message, Attr.data);
      if (!peer || !data) return;
      if (this.permitted(allocation, peer.address)) this.toPeer(allocation, data, peer);
      else this.relayed.noPermission++;
      return;
    }
    if (message.klass !== Class.request) return;
    this.relayed.requests.set(message.method, (this.relayed.requests.get(message.method) ?? 0) + 1);
    if (message.method === Method.binding) {
      return this.answer(client, message, Class.success, [{ type: Attr.xorMappedAddress, value: encodeXorAddress(client) }], false);
    }
    // Long-term credentials (RFC 5389 §10.2): first ask for them, then check every request's integrity.
    const username = this.attr(message, Attr.username)?.toString('utf8');
    if (!username || !this.attr(message, Attr.messageIntegrity)) return this.challenge(client, message);
    if (username !== this.username || !integrityOk(raw, this.key)) return this.challenge(client, message);
    if (this.attr(message, Attr.nonce)?.toString('utf8') !== this.nonce) return this.fail(client, message, 438, 'Stale Nonce', true);
    switch (message.method) {
      case Method.allocate:
        return void this.allocate(client, message, allocation);
      case Method.refresh:
        return this.refresh(client, message, allocation);
      case Method.createPermission:
        return this.createPermission(client, message, allocation);
      case Method.channelBind:
        return this.channelBind(client, message, allocation);
      default:
        return this.fail(client, message, 400, 'Bad Request', false);
    }
  }

  private async allocate(client: Address, message: StunMessage, existing: Allocation | undefined): Promise<void> {
    if (existing) return this.fail(client, message, 437, 'Allocation Mismatch', false);
    const transport = this.attr(message, Attr.requestedTransport);
    if (!transport || transport[0] !== 17) return this.fail(client, message, 442, 'Unsupported Transport Protocol', false);
    const family = this.attr(message, Attr.requestedAddressFamily);
    if (family && family[0] !== 0x01) return this.fail(client, message, 440, 'Address Family not Supported', false);
    const relay = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => relay.bind(0, this.host, resolve));
    const allocation: Allocation = {
      client,
      relay,
      relayed: { address: this.host, port: relay.address().port },
      expiresAt: Date.now() + DEFAULT_LIFETIME_S * 1000,
      permissions: new Map(),
      channelByNumber: new Map(),
      channelByPeer: new Map(),
    };
    relay.on('message', (data, rinfo) => this.fromPeer(allocation, data, { address: rinfo.address, port: rinfo.port }));
    this.allocations.set(key(client), allocation);
    this.answer(client, message, Class.success, [
      { type: Attr.xorRelayedAddress, value: encodeXorAddress(allocation.relayed) },
      { type: Attr.lifetime, value: u32(DEFAULT_LIFETIME_S) },
      { type: Attr.xorMappedAddress, value: encodeXorAddress(client) },
    ]);
  }

  private refresh(client: Address, message: StunMessage, allocation: Allocation | undefined): void {
    if (!allocation) return this.fail(client, message, 437, 'Allocation Mismatch', true);
    const asked = this.attr(message, Attr.lifetime)?.readUInt32BE(0) ?? DEFAULT_LIFETIME_S;
    const lifetime = Math.min(asked, 3600);
    if (lifetime === 0) {
      allocation.relay.close();
      this.allocations.delete(key(client));
    } else allocation.expiresAt = Date.now() + lifetime * 1000;
    this.answer(client, message, Class.success, [{ type: Attr.lifetime, value: u32(lifetime) }]);
  }

  private createPermission(client: Address, message: StunMessage, allocation: Allocation | undefined): void {
    if (!allocation) return this.fail(client, message, 437, 'Allocation Mismatch', true);
    const peers = message.attributes.filter((a) => a.type === Attr.xorPeerAddress).map((a) => decodeXorAddress(a.value));
    if (peers.length === 0 || peers.some((p) => !p)) return this.fail(client, message, 400, 'Bad Request', true);
    for (const peer of peers) allocation.permissions.set(peer!.address, Date.now() + PERMISSION_LIFETIME_MS);
    this.answer(client, message, Class.success, []);
  }

  private channelBind(client: Address, message: StunMessage, allocation: Allocation | undefined): void {
    if (!allocation) return this.fail(client, message, 437, 'Allocation Mismatch', true);
    const channel = this.attr(message, Attr.channelNumber)?.readUInt16BE(0);
    const peer = decodeXorAddress(this.attr(message, Attr.xorPeerAddress) ?? Buffer.alloc(0));
    if (channel === undefined || channel < 0x4000 || channel > 0x7ffe || !peer) return this.fail(client, message, 400, 'Bad Request', true);
    const bound = allocation.channelByNumber.get(channel);
    const peerChannel = allocation.channelByPeer.get(key(peer));
    if ((bound && key(bound) !== key(peer)) || (peerChannel !== undefined && peerChannel !== channel))
      return this.fail(client, message, 400, 'Bad Request', true);
    allocation.channelByNumber.set(channel, peer);
    allocation.channelByPeer.set(key(peer), channel);
    allocation.permissions.set(peer.address, Date.now() + PERMISSION_LIFETIME_MS);
    this.answer(client, message, Class.success, []);
  }

  private toPeer(allocation: Allocation, data: Buffer, peer: Address): void {
    this.relayed.toPeer++;
    allocation.relay.send(data, peer.port, peer.address);
  }

  /** A packet from a peer (the server) to the relayed address: to the client as ChannelData or a Data indication. */
  private fromPeer(allocation: Allocation, data: Buffer, from: Address): void {
    if (this.allocations.get(key(allocation.client)) !== allocation) return;
    const peer = this.peerAsKnown(allocation, from);
    if (!peer) {
      this.relayed.noPermission++;
      return;
    }
    this.relayed.fromPeer++;
    const channel = allocation.channelByPeer.get(key(peer));
    if (channel !== undefined) {
      const header = Buffer.alloc(4);
      header.writeUInt16BE(channel, 0);
      header.writeUInt16BE(data.length, 2);
      return this.toClient(allocation.client, Buffer.concat([header, data]));
    }
    const indication = encodeStun({
      method: Method.data,
      klass: Class.indication,
      transactionId: randomBytes(12),
      attributes: [
        { type: Attr.xorPeerAddress, value: encodeXorAddress(peer) },
        { type: Attr.data, value: data },
      ],
    });
    this.toClient(allocation.client, indication);
  }

  /** The sender as the client knows it: itself if permitted, or (same machine, see ownAddresses) the permitted local address. */
  private peerAsKnown(allocation: Allocation, from: Address): Address | undefined {
    if (this.permitted(allocation, from.address)) return from;
    if (!this.own.has(from.address)) return undefined;
    for (const bound of allocation.channelByNumber.values())
      if (bound.port === from.port && this.own.has(bound.address) && this.permitted(allocation, bound.address)) return bound;
    for (const address of allocation.permissions.keys()) if (this.own.has(address) && this.permitted(allocation, address)) return { address, port: from.port };
    return undefined;
  }

  private permitted(allocation: Allocation, address: string): boolean {
    return (allocation.permissions.get(address) ?? 0) > Date.now();
  }

  private attr(message: StunMessage, type: number): Buffer | undefined {
    return message.attributes.find((a) => a.type === type)?.value;
  }

  private challenge(client: Address, message: StunMessage): void {
    this.answer(
      client,
      message,
      Class.error,
      [
        { type: Attr.errorCode, value: errorCode(401, 'Unauthorized') },
        { type: Attr.realm, value: stunText(this.realm) },
        { type: Attr.nonce, value: stunText(this.nonce) },
      ],
      false,
    );
  }

  private fail(client: Address, message: StunMessage, code: number, reason: string, signed: boolean): void {
    const attributes: StunMessage['attributes'] = [{ type: Attr.errorCode, value: errorCode(code, reason) }];
    if (code === 438) attributes.push({ type: Attr.realm, value: stunText(this.realm) }, { type: Attr.nonce, value: stunText(this.nonce) });
    this.answer(client, message, Class.error, attributes, signed);
  }

  private answer(client: Address, request: StunMessage, klass: number, attributes: StunMessage['attributes'], signed = true): void {
    const reply = encodeStun(
      {
        method: request.method,
        klass,
        transactionId: request.transactionId,
        attributes: [...attributes, { type: Attr.software, value: stunText('rvr-impairing-relay') }],
      },
      signed ? this.key : undefined,
    );
    this.toClient(client, reply);
  }
}
