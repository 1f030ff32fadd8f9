/**
 * The tests' impairing TURN relay (issue 17 §3, test/support/impairing-relay.ts): a minimal client here speaks
 * RFC 5766 to it over loopback, to a plain UDP "server" socket as the peer. The end-to-end poor-connection call
 * (e2e/poor-connection.test.ts) checks it against Chromium's own TURN client.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { after, before, describe, it } from 'node:test';
import {
  Attr,
  Class,
  ImpairedLink,
  ImpairingRelay,
  Method,
  PROFILES,
  decodeStun,
  decodeXorAddress,
  encodeStun,
  encodeXorAddress,
  integrityOk,
  longTermKey,
  stunText,
  u32,
  type Address,
  type StunMessage,
} from '../support/impairing-relay.js';

/** A tiny TURN client: one UDP socket, requests answered by transaction id, everything else queued. */
class Client {
  readonly socket = dgram.createSocket('udp4');
  private readonly waiting = new Map<string, (raw: Buffer) => void>();
  readonly received: Buffer[] = [];
  nonce = '';
  realm = '';

  constructor(
    private readonly relay: ImpairingRelay,
    private readonly username = relay.username,
    private readonly password = relay.password,
  ) {}

  async open(): Promise<this> {
    this.socket.on('message', (raw) => {
      const message = decodeStun(raw);
      const id = message?.transactionId.toString('hex');
      const waiter = id ? this.waiting.get(id) : undefined;
      if (waiter && message?.klass !== Class.indication) {
        this.waiting.delete(id!);
        waiter(raw);
      } else this.received.push(raw);
    });
    await new Promise<void>((resolve) => this.socket.bind(0, '127.0.0.1', resolve));
    return this;
  }

  get key(): Buffer {
    return longTermKey(this.username, this.realm, this.password);
  }

  async request(method: number, attributes: StunMessage['attributes'], signed = true): Promise<{ message: StunMessage; raw: Buffer }> {
    const transactionId = randomBytes(12);
    const auth = signed
      ? [
          { type: Attr.username, value: stunText(this.username) },
          { type: Attr.realm, value: stunText(this.realm) },
          { type: Attr.nonce, value: stunText(this.nonce) },
        ]
      : [];
    const raw = encodeStun({ method, klass: Class.request, transactionId, attributes: [...attributes, ...auth] }, signed ? this.key : undefined);
    const answer = new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no answer from the relay')), 3000);
      this.waiting.set(transactionId.toString('hex'), (reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
    });
    this.socket.send(raw, this.relay.port, '127.0.0.1');
    const reply = await answer;
    return { message: decodeStun(reply)!, raw: reply };
  }

  /** Allocate: the 401 challenge first, then the signed request. */
  async allocate(): Promise<Address> {
    const challenge = await this.request(Method.allocate, [{ type: Attr.requestedTransport, value: Buffer.from([17, 0, 0, 0]) }], false);
    assert.equal(challenge.message.klass, Class.error);
    assert.equal(errorOf(challenge.message), 401);
    this.realm = attr(challenge.message, Attr.realm)!.toString();
    this.nonce = attr(challenge.message, Attr.nonce)!.toString();
    const { message, raw } = await this.request(Method.allocate, [{ type: Attr.requestedTransport, value: Buffer.from([17, 0, 0, 0]) }]);
    assert.equal(message.klass, Class.success, `allocate answered ${errorOf(message)}`);
    assert.ok(integrityOk(raw, this.key), 'the success response carries a valid MESSAGE-INTEGRITY');
    return decodeXorAddress(attr(message, Attr.xorRelayedAddress)!)!;
  }

  sendIndication(peer: Address, data: Buffer): void {
    const raw = encodeStun({
      method: Method.send,
      klass: Class.indication,
      transactionId: randomBytes(12),
      attributes: [
        { type: Attr.xorPeerAddress, value: encodeXorAddress(peer) },
        { type: Attr.data, value: data },
      ],
    });
    this.socket.send(raw, this.relay.port, '127.0.0.1');
  }

  sendChannelData(channel: number, data: Buffer): void {
    const header = Buffer.alloc(4);
    header.writeUInt16BE(channel, 0);
    header.writeUInt16BE(data.length, 2);
    this.socket.send(Buffer.concat([header, data]), this.relay.port, '127.0.0.1');
  }

  async next(ms = 2000): Promise<Buffer> {
    const deadline = Date.now() + ms;
    while (this.received.length === 0) {
      if (Date.now() > deadline) throw new Error('nothing arrived');
      await new Promise((r) => setTimeout(r, 5));
    }
    return this.received.shift()!;
  }

  close(): void {
    this.socket.close();
  }
}

const attr = (m: StunMessage, type: number) => m.attributes.find((a) => a.type === type)?.value;
const errorOf = (m: StunMessage) => {
  const v = attr(m, Attr.errorCode);
  return v ? v[2]! * 100 + v[3]! : undefined;
};

/** The "media server" peer: a UDP socket that records what it gets. */
async function peerSocket(): Promise<{ socket: dgram.Socket; address: Address; got: { data: Buffer; from: Address; at: number }[] }> {
  const socket = dgram.createSocket('udp4');
  const got: { data: Buffer; from: Address; at: number }[] = [];
  socket.on('message', (data, rinfo) => got.push({ data, from: { address: rinfo.address, port: rinfo.port }, at: performance.now() }));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { socket, address: { address: '127.0.0.1', port: socket.address().port }, got };
}

async function until(check: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('the impairing TURN relay (issue 17 §3 test tool)', () => {
  let relay: ImpairingRelay;
  before(async () => {
    relay = await new ImpairingRelay().start();
  });
  after(async () => {
    await relay.stop();
  });

  it('refuses a request signed with the wrong password (401) and allocates nothing', async () => {
    const client = await new Client(relay, relay.username, 'not-the-password').open();
    try {
      const challenge = await client.request(Method.allocate, [{ type: Attr.requestedTransport, value: Buffer.from([17, 0, 0, 0]) }], false);
      client.realm = attr(challenge.message, Attr.realm)!.toString();
      client.nonce = attr(challenge.message, Attr.nonce)!.toString();
      const before = relay.allocationCount;
      const { message } = await client.request(Method.allocate, [{ type: Attr.requestedTransport, value: Buffer.from([17, 0, 0, 0]) }]);
      assert.equal(message.klass, Class.error);
      assert.equal(errorOf(message), 401);
      assert.equal(relay.allocationCount, before);
    } finally {
      client.close();
    }
  });

  it('Allocate, CreatePermission, Send/Data indications, ChannelBind and ChannelData both ways; no permission, no data', async () => {
    const client = await new Client(relay).open();
    const peer = await peerSocket();
    const stranger = await peerSocket();
    try {
      const relayed = await client.allocate();
      assert.equal(relayed.address, '127.0.0.1');
      assert.notEqual(relayed.port, relay.port);

      // Before a permission the relay passes nothing either way.
      client.sendIndication(peer.address, Buffer.from('too early'));
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(peer.got.length, 0);

      const permission = await client.request(Method.createPermission, [{ type: Attr.xorPeerAddress, value: encodeXorAddress(peer.address) }]);
      assert.equal(permission.message.klass, Class.success);
      client.sendIndication(peer.address, Buffer.from('hello server'));
      await until(() => peer.got.length === 1);
      assert.equal(peer.got[0]!.data.toString(), 'hello server');
      assert.deepEqual(peer.got[0]!.from, relayed, 'the peer sees the relayed address');

      peer.socket.send(Buffer.from('hello victim'), relayed.port, relayed.address);
      const data = decodeStun(await client.next())!;
      assert.equal(data.method, Method.data);
      assert.equal(data.klass, Class.indication);
      assert.equal(attr(data, Attr.data)!.toString(), 'hello victim');
      assert.deepEqual(decodeXorAddress(attr(data, Attr.xorPeerAddress)!), peer.address);

      // A peer without a permission is not heard (the stranger shares the IP here, so only its port differs: the
      // permission is per IP address, RFC 5766 §8, so it does arrive). A channel binds one peer's transport address.
      const bind = await client.request(Method.channelBind, [
        { type: Attr.channelNumber, value: Buffer.from([0x40, 0x01, 0, 0]) },
        { type: Attr.xorPeerAddress, value: encodeXorAddress(peer.address) },
      ]);
      assert.equal(bind.message.klass, Class.success);
      client.sendChannelData(0x4001, Buffer.from('over the channel'));
      await until(() => peer.got.length === 2);
      assert.equal(peer.got[1]!.data.toString(), 'over the channel');
      peer.socket.send(Buffer.from('channel back'), relayed.port, relayed.address);
      const channelData = await client.next();
      assert.equal(channelData.readUInt16BE(0), 0x4001);
      assert.equal(channelData.subarray(4, 4 + channelData.readUInt16BE(2)).toString(), 'channel back');
      // The other peer (no channel) still comes as a Data indication.
      stranger.socket.send(Buffer.from('from elsewhere'), relayed.port, relayed.address);
      const fromStranger = decodeStun(await client.next())!;
      assert.equal(attr(fromStranger, Attr.data)!.toString(), 'from elsewhere');

      // A second binding of the same channel to another peer is refused.
      const clash = await client.request(Method.channelBind, [
        { type: Attr.channelNumber, value: Buffer.from([0x40, 0x01, 0, 0]) },
        { type: Attr.xorPeerAddress, value: encodeXorAddress(stranger.address) },
      ]);
      assert.equal(errorOf(clash.message), 400);

      // Refresh with lifetime 0 ends the allocation: nothing passes afterwards.
      const refresh = await client.request(Method.refresh, [{ type: Attr.lifetime, value: u32(0) }]);
      assert.equal(refresh.message.klass, Class.success);
      client.sendChannelData(0x4001, Buffer.from('after the end'));
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(peer.got.length, 2);
    } finally {
      client.close();
      peer.socket.close();
      stranger.socket.close();
    }
  });

  it('impairs what it carries: a relayed round trip takes the profile delay both ways', async () => {
    relay.setProfile({ name: 'delay only', up: { delayMs: 60 }, down: { delayMs: 40 } });
    const client = await new Client(relay).open();
    const peer = await peerSocket();
    try {
      const relayed = await client.allocate();
      await client.request(Method.createPermission, [{ type: Attr.xorPeerAddress, value: encodeXorAddress(peer.address) }]);
      peer.socket.on('message', (data, rinfo) => peer.socket.send(data, rinfo.port, rinfo.address));
      const started = performance.now();
      client.sendIndication(peer.address, Buffer.from('ping'));
      await client.next();
      const rtt = performance.now() - started;
      assert.ok(rtt >= 98, `round trip ${rtt.toFixed(1)} ms, at least 60 + 40`);
      assert.ok(rtt < 400, `round trip ${rtt.toFixed(1)} ms is not much more than the delay`);
      assert.equal(relayed.address, '127.0.0.1');
    } finally {
      relay.setProfile(PROFILES.clear);
      client.close();
      peer.socket.close();
    }
  });
});

describe('the impaired link model (random loss, rate limit with a drop-tail queue, delay)', () => {
  /** A link on a virtual clock: deliveries are collected synchronously when no delay is set. */
  function virtualLink(impairment: ConstructorParameters<typeof ImpairedLink>[0], random = () => 1) {
    let now = 0;
    const link = new ImpairedLink(impairment, random, () => now);
    return { link, advance: (ms: number) => (now += ms), at: () => now };
  }

  it('loses the configured share of packets at random (seeded)', () => {
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const { link } = virtualLink({ lossRate: 0.01 }, random);
    let delivered = 0;
    for (let i = 0; i < 20_000; i++) link.carry(100, () => delivered++);
    const lost = link.counters.lostAtRandom / 20_000;
    assert.ok(lost > 0.007 && lost < 0.013, `lost ${(lost * 100).toFixed(2)} %`);
    assert.equal(delivered + link.counters.lostAtRandom, 20_000);
  });

  it('carries no more than the rate over time and drops what would queue past maxQueueMs', () => {
    // 128 kbit/s = 16 bytes/ms. Offer 1000-byte packets every 20 ms (~411 kbit/s with headers) for 10 s.
    const { link, advance } = virtualLink({ rateKbps: 128, maxQueueMs: 300, burstBytes: 0 });
    for (let i = 0; i < 500; i++) {
      link.carry(1000, () => undefined);
      advance(20);
    }
    const carried = link.counters.bytes;
    const kbps = (carried * 8) / 10_000;
    assert.ok(kbps <= 128 * 1.05 + 8, `carried ${kbps.toFixed(1)} kbit/s on a 128 kbit/s link`);
    assert.ok(kbps >= 128 * 0.9, `the link is used (${kbps.toFixed(1)} kbit/s)`);
    assert.ok(link.counters.droppedQueueFull > 300, `dropped ${link.counters.droppedQueueFull} packets from the full queue`);
  });

  it('passes traffic below the rate without drops (audio at 64 kbit/s fits a 128 kbit/s link)', () => {
    const { link, advance } = virtualLink({ rateKbps: 128, maxQueueMs: 300 });
    for (let i = 0; i < 500; i++) {
      link.carry(132, () => undefined); // ~64 kbit/s of Opus with RTP/SRTP headers at 50 packets/s
      advance(20);
    }
    assert.equal(link.counters.droppedQueueFull, 0);
    assert.equal(link.counters.lostAtRandom, 0);
  });
});
