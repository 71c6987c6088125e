package dev.veilraft.bench;

import com.sun.management.OperatingSystemMXBean;
import dev.veilraft.client.NodeHttp;
import dev.veilraft.crypto.NodeIdentity;
import dev.veilraft.node.api.ApiServer;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.time.Instant;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What one HTTPS request costs in the SDK's transport and the node's API, nothing else: a real
 * {@link ApiServer} (Jetty, TLS 1.3 on a node identity key) whose POST route answers from
 * another thread, as a commit does, and the SDK's {@link NodeHttp} posting 256-byte bodies with
 * {@code IN_FLIGHT} requests outstanding, in one JVM. Prints requests per second, this process's
 * CPU time per request (client and server together) and the TLS handshakes, for HTTP/1.1 and
 * HTTP/2, alternating.
 *
 * <p>Run: {@code java -cp bench/target/benchmarks.jar dev.veilraft.bench.HttpTransportBench
 * [SECONDS] [IN_FLIGHT]} (default 10 s per round, 64 in flight, 3 rounds per protocol after a
 * warm-up round each).
 */
public final class HttpTransportBench {
  private static final int BODY_BYTES = 256;
  private static final int ROUNDS = 3;

  private HttpTransportBench() {}

  public static void main(String[] args) throws Exception {
    long seconds = args.length > 0 ? Long.parseLong(args[0]) : 10;
    int inFlight = args.length > 1 ? Integer.parseInt(args[1]) : 64;
    ExecutorService commits = Executors.newFixedThreadPool(2);
    ApiServer server = new ApiServer("127.0.0.1", 0, NodeIdentity.generate(Instant.now()));
    server.routeAsync("POST", "/v1/events", (body, query) -> CompletableFuture.supplyAsync(() -> body, commits));
    server.start();
    URI uri = URI.create("https://127.0.0.1:" + server.port() + "/v1/events");
    try {
      try (NodeHttp h1 = new NodeHttp(NodeHttp.Protocol.HTTP_1_1); NodeHttp h2 = new NodeHttp(NodeHttp.Protocol.HTTP_2)) {
        run("warm-up http/1.1", h1, uri, seconds, inFlight);
        run("warm-up h2", h2, uri, seconds, inFlight);
        for (int round = 1; round <= ROUNDS; round++) {
          run("http/1.1 round " + round, h1, uri, seconds, inFlight);
          run("h2 round " + round, h2, uri, seconds, inFlight);
        }
      }
      System.out.println("bench http handshakes " + server.tlsHandshakes());
    } finally {
      server.close();
      commits.shutdownNow();
    }
  }

  private static void run(String label, NodeHttp http, URI uri, long seconds, int inFlight) throws Exception {
    OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    byte[] body = new byte[BODY_BYTES];
    new Random(1).nextBytes(body);
    Semaphore slots = new Semaphore(inFlight);
    AtomicLong done = new AtomicLong();
    AtomicLong errors = new AtomicLong();
    long threadsStart = ManagementFactory.getThreadMXBean().getTotalStartedThreadCount();
    long cpuStart = os.getProcessCpuTime();
    long start = System.nanoTime();
    long end = start + TimeUnit.SECONDS.toNanos(seconds);
    while (System.nanoTime() < end) {
      if (!slots.tryAcquire(100, TimeUnit.MILLISECONDS)) {
        continue;
      }
      http.postAsync(uri, body).whenComplete((echo, error) -> {
        if (error != null || !Arrays.equals(echo, body)) {
          errors.incrementAndGet();
        } else {
          done.incrementAndGet();
        }
        slots.release();
      });
    }
    slots.acquire(inFlight);
    long elapsed = System.nanoTime() - start;
    long cpu = os.getProcessCpuTime() - cpuStart;
    long requests = Math.max(1, done.get());
    long threads = ManagementFactory.getThreadMXBean().getTotalStartedThreadCount() - threadsStart;
    System.out.printf("bench http %s requests_per_s=%.0f cpu_us_per_request=%.1f threads_started=%d errors=%d load=%.2f%n",
        label, requests * 1e9 / elapsed, cpu / 1e3 / requests, threads, errors.get(), os.getSystemLoadAverage());
  }
}
