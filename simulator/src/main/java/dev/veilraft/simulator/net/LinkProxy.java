package dev.veilraft.simulator.net;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A TCP proxy for one directed link: it listens where the source node resolves the target's Raft
 * host, and forwards every connection to the target's real address, applying the link's
 * {@link LinkBehaviour} to the bytes of both directions. It never looks into the bytes (they are
 * TLS), so the real gRPC transport with attested mutual TLS runs through it unchanged.
 */
public final class LinkProxy implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LinkProxy.class);
  /** Bytes read per chunk. */
  static final int chunkBytesMax = 16 * 1024;
  /** Chunks queued per direction of a connection before the reader waits (bounds memory). */
  static final int queuedChunksMax = 256;
  /** Connections open at once on one link; more are refused. */
  static final int connectionsMax = 64;
  static final int connectTimeoutMs = 5_000;

  private final String name;
  private final InetSocketAddress target;
  private final ServerSocket server;
  private final Random random;
  private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
  private final AtomicLong forwarded;
  private volatile LinkBehaviour behaviour = LinkBehaviour.HEALTHY;
  private volatile boolean closed;

  LinkProxy(String name, InetSocketAddress listen, InetSocketAddress target, long seed, AtomicLong forwarded)
      throws IOException {
    this.name = name;
    this.target = target;
    this.random = new Random(seed);
    this.forwarded = forwarded;
    this.server = new ServerSocket();
    server.setReuseAddress(true);
    server.bind(listen, 64);
    Thread acceptor = new Thread(this::acceptLoop, "proxy-" + name);
    acceptor.setDaemon(true);
    acceptor.start();
  }

  public LinkBehaviour behaviour() {
    return behaviour;
  }

  public synchronized void set(LinkBehaviour next) {
    behaviour = next;
    notifyAll();
  }

  /** Waits while the link is cut; false once the proxy closed. */
  private synchronized boolean awaitOpen() {
    while (behaviour.cut() && !closed) {
      try {
        wait();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return !closed;
  }

  private void acceptLoop() {
    while (!closed) {
      try {
        Socket client = server.accept();
        if (sockets.size() >= connectionsMax * 2) {
          LOG.warn("{}: {} connections open, refusing another", name, connectionsMax);
          client.close();
          continue;
        }
        sockets.add(client);
        Thread t = new Thread(() -> connect(client), "proxy-" + name + "-connect");
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        if (!closed) {
          LOG.warn("{}: accept failed: {}", name, e.toString());
        }
      }
    }
  }

  /** Connects to the target once the link is open (a cut link holds new connections, like a black hole). */
  private void connect(Socket client) {
    Socket upstream = new Socket();
    try {
      if (!awaitOpen()) {
        closeQuietly(client);
        return;
      }
      client.setTcpNoDelay(true);
      upstream.setTcpNoDelay(true);
      upstream.connect(target, connectTimeoutMs);
      sockets.add(upstream);
      pipe(client.getInputStream(), upstream.getOutputStream(), client, upstream, "up");
      pipe(upstream.getInputStream(), client.getOutputStream(), upstream, client, "down");
    } catch (IOException e) {
      closeQuietly(client);
      closeQuietly(upstream);
    }
  }

  /** One chunk of bytes and the instant it may be delivered. */
  private record Chunk(byte[] bytes, int length, long dueNanos) {}

  private static final Chunk END = new Chunk(new byte[0], 0, 0);

  private void pipe(InputStream in, OutputStream out, Socket from, Socket to, String direction) {
    BlockingQueue<Chunk> queue = new ArrayBlockingQueue<>(queuedChunksMax);
    java.util.concurrent.atomic.AtomicBoolean writerDone = new java.util.concurrent.atomic.AtomicBoolean();
    Thread reader = new Thread(() -> {
      long lastDue = 0;
      byte[] buffer = new byte[chunkBytesMax];
      try {
        while (awaitOpen()) {
          int n = in.read(buffer);
          if (n < 0) {
            break;
          }
          long due = Math.max(lastDue, System.nanoTime() + delayNanos());
          lastDue = due;
          queue.put(new Chunk(java.util.Arrays.copyOf(buffer, n), n, due));
        }
      } catch (IOException | InterruptedException e) {
        // The connection ended; the writer finishes and closes both sides.
      } finally {
        try {
          while (!writerDone.get() && !queue.offer(END, 100, TimeUnit.MILLISECONDS)) {
            // The writer is still draining a full queue.
          }
        } catch (InterruptedException e) {
          closeQuietly(to);
        }
      }
    }, "proxy-" + name + "-" + direction + "-read");
    Thread writer = new Thread(() -> {
      try {
        while (true) {
          Chunk chunk = queue.poll(1, TimeUnit.SECONDS);
          if (closed) {
            break;
          }
          if (chunk == null) {
            continue;
          }
          if (chunk == END) {
            break;
          }
          long wait = chunk.dueNanos() - System.nanoTime();
          if (wait > 0) {
            LockSupport.parkNanos(wait);
          }
          if (!awaitOpen()) {
            break;
          }
          out.write(chunk.bytes(), 0, chunk.length());
          out.flush();
          forwarded.addAndGet(chunk.length());
        }
      } catch (IOException | InterruptedException e) {
        // Either side went away.
      } finally {
        writerDone.set(true);
        closeQuietly(from);
        closeQuietly(to);
      }
    }, "proxy-" + name + "-" + direction + "-write");
    reader.setDaemon(true);
    writer.setDaemon(true);
    reader.start();
    writer.start();
  }

  private long delayNanos() {
    LinkBehaviour b = behaviour;
    long ms = b.delayMs();
    synchronized (random) {
      if (b.jitterMs() > 0) {
        ms += (long) (random.nextDouble() * b.jitterMs());
      }
      if (b.loss() > 0 && random.nextDouble() < b.loss()) {
        ms += LinkBehaviour.RETRANSMIT_MS;
      }
    }
    return TimeUnit.MILLISECONDS.toNanos(ms);
  }

  private void closeQuietly(Socket socket) {
    sockets.remove(socket);
    try {
      socket.close();
    } catch (IOException | RuntimeException e) {
      // Already closed.
    }
  }

  @Override
  public void close() {
    synchronized (this) {
      closed = true;
      notifyAll();
    }
    try {
      server.close();
    } catch (IOException e) {
      // Closing anyway.
    }
    for (Socket s : Set.copyOf(sockets)) {
      closeQuietly(s);
    }
  }

  @Override
  public String toString() {
    return "LinkProxy{" + name + " -> " + target + "}";
  }
}
