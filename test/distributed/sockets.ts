/**
 * Which TCP sockets a set of processes holds, from /proc (Linux): the
 * entries of /proc/net/tcp and /proc/net/tcp6 (LISTEN is state 0A,
 * ESTABLISHED 01), matched by inode with the `socket:[inode]` links in
 * /proc/<pid>/fd.
 */
import { existsSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';

export interface TcpSocket {
  pid: number;
  /** 'listen', 'established', or the kernel's state number in hex. */
  state: string;
  /** Local address: dotted IPv4 or (compressed) IPv6. */
  address: string;
  port: number;
  inode: number;
}

const STATES: Record<string, string> = { '01': 'established', '0A': 'listen' };

/** Whether /proc has what these helpers read. */
export function procAvailable(): boolean {
  return existsSync('/proc/net/tcp') && existsSync(`/proc/${process.pid}/stat`);
}

/** The parent pid of `pid`, or undefined once it is gone. */
function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // pid (comm) state ppid ...: comm may hold spaces and parentheses, so read after the last ')'.
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/** `root` and all its living descendants. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    const parent = parentOf(pid);
    if (parent === undefined) continue;
    children.set(parent, [...(children.get(parent) ?? []), pid]);
  }
  const out: number[] = [];
  const todo = [root];
  while (todo.length > 0) {
    const pid = todo.pop()!;
    out.push(pid);
    todo.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** The socket inodes `pid` holds open. */
function socketInodes(pid: number): number[] {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) out.push(Number(m[1]));
    } catch {
      // closed meanwhile
    }
  }
  return out;
}

/** A /proc/net address: 32-bit words in hex, each in the host's (little-endian) byte order. */
function decodeAddress(hex: string): string {
  const bytes: number[] = [];
  for (let w = 0; w < hex.length; w += 8) {
    const word = Number.parseInt(hex.slice(w, w + 8), 16);
    bytes.push(word & 0xff, (word >>> 8) & 0xff, (word >>> 16) & 0xff, (word >>> 24) & 0xff);
  }
  if (bytes.length === 4) return bytes.join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  // IPv4-mapped (::ffff:a.b.c.d) in the form isLoopbackAddress reads.
  if (groups.slice(0, 5).every((g) => g === '0') && groups[5] === 'ffff') return `::ffff:${bytes.slice(12).join('.')}`;
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::').replace(/:{3,}/, '::');
}

/** Every TCP socket of this network namespace, by inode. */
function socketsByInode(): Map<number, Omit<TcpSocket, 'pid' | 'inode'>> {
  const out = new Map<number, Omit<TcpSocket, 'pid' | 'inode'>>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(table)) continue;
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      const [addr, port] = f[1]!.split(':');
      out.set(Number(f[9]), { state: STATES[f[3]!] ?? f[3]!, address: decodeAddress(addr!), port: Number.parseInt(port!, 16) });
    }
  }
  return out;
}

/** The TCP sockets the processes `pids` hold. */
export function tcpSockets(pids: readonly number[]): TcpSocket[] {
  const all = socketsByInode();
  const out: TcpSocket[] = [];
  for (const pid of pids) {
    for (const inode of socketInodes(pid)) {
      const found = all.get(inode);
      if (found) out.push({ pid, inode, ...found });
    }
  }
  return out;
}

/** 127.0.0.0/8, ::1, and IPv4-mapped 127.x. */
export function isLoopbackAddress(address: string): boolean {
  return /^127\./.test(address) || address === '::1' || /^::ffff:127\./.test(address);
}
