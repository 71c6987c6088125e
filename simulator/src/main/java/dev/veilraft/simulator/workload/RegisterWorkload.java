package dev.veilraft.simulator.workload;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.google.protobuf.ByteString;
import dev.veilraft.client.ClientException;
import dev.veilraft.client.VeilraftClient;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.simulator.check.LinearizabilityChecker;
import dev.veilraft.simulator.check.LostWriteChecker;
import dev.veilraft.simulator.check.Verdict;
import dev.veilraft.simulator.history.HistoryEvent;
import dev.veilraft.simulator.history.HistoryRecorder;
import dev.veilraft.simulator.history.Operation;
import dev.veilraft.simulator.cluster.SimLayout;
import dev.veilraft.state.kv.KvApp;
import dev.veilraft.state.kv.KvRequests;
import dev.veilraft.state.proto.KvRequest;
import dev.veilraft.state.proto.KvResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Compare-and-set registers through the SDK: each client process reads (linearizable queries),
 * writes and compare-and-sets small keys, on a node it picked at random, switching to another
 * node after a failure. Every write carries a value unique in the run. A write whose outcome is
 * unknown (timeout, lost connection, commit failed over) is recorded {@code info} and its process
 * retires: a fresh process with a fresh SDK client (a new exactly-once session) takes over, as
 * Jepsen does. Each key serves at most {@link KeyPool#opsPerKeyMax} operations, which keeps every
 * key's history small enough for the linearizability search.
 */
public final class RegisterWorkload implements Workload {
  public static final String NAME = "kv";
  /** Every key and value starts with this, so the disk scan finds any plaintext. */
  public static final String MARKER = "veilraft-sim-secret-";
  /** An operation not answered within this is indeterminate. */
  public static final Duration OP_TIMEOUT = Duration.ofSeconds(8);
  /** Pause between one client's operations, so a two-core machine still schedules the nodes. */
  static final long thinkMsMax = 20;
  static final long stopWaitMs = OP_TIMEOUT.toMillis() + 5_000;

  private final AtomicBoolean stopping = new AtomicBoolean();
  private final AtomicInteger nextProcess = new AtomicInteger();
  private final List<Thread> workers = new ArrayList<>();
  private WorkloadContext context;
  private KeyPool keys;

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public byte[] plaintextMarker() {
    return Hashes.utf8(MARKER);
  }

  @Override
  public void start(WorkloadContext context) {
    this.context = context;
    this.keys = new KeyPool(MARKER + "key-");
    for (int w = 0; w < context.concurrency(); w++) {
      Random random = new Random(context.seed() * 1_000_003L + w);
      Thread t = new Thread(() -> runWorker(random), "kv-client-" + w);
      t.setDaemon(true);
      workers.add(t);
      t.start();
    }
  }

  @Override
  public void stop() throws InterruptedException {
    stopping.set(true);
    for (Thread t : workers) {
      t.join(stopWaitMs);
    }
  }

  /** One logical process: its id, the slot its client talks to, and the client. */
  private final class Process {
    final int id = nextProcess.getAndIncrement();
    final int slot;
    VeilraftClient client;
    long counter;

    Process(int slot) {
      this.slot = slot;
    }

    /** Ends this process: its SDK client's threads stop. */
    void retire() {
      if (client != null) {
        client.close();
        client = null;
      }
    }

    String node() {
      return SimLayout.name(slot);
    }
  }

  private void runWorker(Random random) {
    Process process = null;
    try {
      while (!stopping.get()) {
        if (process == null) {
          process = new Process(random.nextInt(context.cluster().layout().members()));
        }
        if (process.client == null) {
          try {
            process.client = context.clients().connect(process.slot);
          } catch (ClientException e) {
            // Node down or not serving: try another node without recording anything (nothing was invoked).
            process = null;
            pause(random, 200);
            continue;
          }
        }
        boolean keep = step(process, random);
        if (!keep) {
          process.retire();
          process = null;
        }
        pause(random, thinkMsMax);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      if (process != null) {
        process.retire();
      }
    }
  }

  private static void pause(Random random, long maxMs) throws InterruptedException {
    Thread.sleep(1 + (long) (random.nextDouble() * maxMs));
  }

  /** Runs one operation; false when the process must retire (indeterminate outcome) or switch nodes. */
  private boolean step(Process p, Random random) throws InterruptedException {
    String key = keys.pick(random);
    double dice = random.nextDouble();
    HistoryRecorder h = context.history();
    if (dice < 0.4) {
      h.record(new HistoryEvent(p.id, HistoryEvent.Type.INVOKE, "read", key, null, h.now(), p.node(), null));
      Outcome o = await(p.client.queryAsync(KvApp.NAME, KvRequests.get(key).toByteArray(), false));
      if (o.response != null) {
        String value = readValue(o.response);
        keys.observed(key, value);
        h.record(new HistoryEvent(p.id, HistoryEvent.Type.OK, "read", key, text(value), h.now(), p.node(), null));
        return true;
      }
      // A read changes nothing, so a read that did not return is a plain failure.
      h.record(new HistoryEvent(p.id, HistoryEvent.Type.FAIL, "read", key, null, h.now(), p.node(), o.error));
      return false;
    }
    String value = MARKER + context.seed() + "-" + p.id + "-" + (p.counter++);
    if (dice < 0.75) {
      h.record(new HistoryEvent(p.id, HistoryEvent.Type.INVOKE, "write", key, text(value), h.now(), p.node(), null));
      Outcome o = await(p.client.callAsync(KvApp.NAME, KvRequests.put(key, value).toByteArray()));
      if (o.response != null) {
        keys.observed(key, value);
        h.record(new HistoryEvent(p.id, HistoryEvent.Type.OK, "write", key, text(value), h.now(), p.node(), null));
        return true;
      }
      return completeUnknown(p, "write", key, text(value), o);
    }
    String expected = keys.lastKnown(key);
    JsonNode argument = JsonNodeFactory.instance.arrayNode().add(text(expected)).add(value);
    h.record(new HistoryEvent(p.id, HistoryEvent.Type.INVOKE, "cas", key, argument, h.now(), p.node(), null));
    Outcome o = await(p.client.callAsync(KvApp.NAME, cas(key, expected, value).toByteArray()));
    if (o.response != null) {
      KvResponse r = parse(o.response);
      if (r.getSwapped()) {
        keys.observed(key, value);
        h.record(new HistoryEvent(p.id, HistoryEvent.Type.OK, "cas", key, argument, h.now(), p.node(), null));
      } else {
        keys.observed(key, r.getFound() ? r.getValue().toStringUtf8() : null);
        h.record(new HistoryEvent(p.id, HistoryEvent.Type.FAIL, "cas", key, argument, h.now(), p.node(), "mismatch"));
      }
      return true;
    }
    return completeUnknown(p, "cas", key, argument, o);
  }

  /** A write or compare-and-set without an answer: refused (nothing happened) or indeterminate. */
  private boolean completeUnknown(Process p, String f, String key, JsonNode argument, Outcome o) {
    HistoryRecorder h = context.history();
    HistoryEvent.Type type = o.refused ? HistoryEvent.Type.FAIL : HistoryEvent.Type.INFO;
    h.record(new HistoryEvent(p.id, type, f, key, argument, h.now(), p.node(), o.error));
    return false;
  }

  static KvRequest cas(String key, String expected, String value) {
    KvRequest.CompareAndSet.Builder cas = KvRequest.CompareAndSet.newBuilder().setKey(ByteString.copyFromUtf8(key))
        .setNewValue(ByteString.copyFromUtf8(value));
    if (expected == null) {
      cas.setExpectAbsent(true);
    } else {
      cas.setExpectedValue(ByteString.copyFromUtf8(expected));
    }
    return KvRequest.newBuilder().setCompareAndSet(cas).build();
  }

  /** The answer of one call: a response, or an error and whether the node refused it outright. */
  private record Outcome(byte[] response, String error, boolean refused) {}

  private static Outcome await(CompletableFuture<byte[]> call) throws InterruptedException {
    try {
      return new Outcome(call.get(OP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS), null, false);
    } catch (TimeoutException e) {
      return new Outcome(null, "TIMEOUT no answer within " + OP_TIMEOUT, false);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof ClientException ce) {
        // REJECTED: the app refused the request when applying it, so it wrote nothing.
        return new Outcome(null, oneLine(ce.getMessage()), ce.code().equals("REJECTED"));
      }
      return new Outcome(null, oneLine(String.valueOf(cause)), false);
    }
  }

  private static String oneLine(String s) {
    String line = s == null ? "" : s.replace('\n', ' ');
    return line.length() > 200 ? line.substring(0, 200) + "…" : line;
  }

  private static KvResponse parse(byte[] response) {
    try {
      return KvResponse.parseFrom(response);
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new IllegalStateException("the kv app answered with something that is not a KvResponse", e);
    }
  }

  private static String readValue(byte[] response) {
    KvResponse r = parse(response);
    return r.getFound() ? r.getValue().toStringUtf8() : null;
  }

  private static JsonNode text(String value) {
    return value == null ? JsonNodeFactory.instance.nullNode() : JsonNodeFactory.instance.textNode(value);
  }

  @Override
  public boolean finish(Duration bound) throws InterruptedException {
    long deadline = System.nanoTime() + bound.toNanos();
    HistoryRecorder h = context.history();
    boolean all = true;
    for (int slot = 0; slot < context.cluster().layout().slots(); slot++) {
      if (!context.cluster().running(slot)) {
        continue;
      }
      Process p = new Process(slot);
      for (String key : keys.all()) {
        boolean done = false;
        while (!done && System.nanoTime() < deadline) {
          if (p.client == null) {
            try {
              p.client = context.clients().connect(slot);
            } catch (ClientException e) {
              Thread.sleep(200);
              continue;
            }
          }
          h.record(new HistoryEvent(p.id, HistoryEvent.Type.INVOKE, "final-read", key, null, h.now(), p.node(), null));
          Outcome o = await(p.client.queryAsync(KvApp.NAME, KvRequests.get(key).toByteArray(), false));
          if (o.response != null) {
            h.record(new HistoryEvent(p.id, HistoryEvent.Type.OK, "final-read", key, text(readValue(o.response)), h.now(),
                p.node(), null));
            done = true;
          } else {
            h.record(new HistoryEvent(p.id, HistoryEvent.Type.FAIL, "final-read", key, null, h.now(), p.node(), o.error));
            Thread.sleep(200);
          }
        }
        all &= done;
      }
      p.retire();
    }
    return all;
  }

  @Override
  public boolean probe(int slot) throws InterruptedException {
    VeilraftClient client;
    try {
      client = context.clients().connect(slot);
    } catch (ClientException e) {
      return false;
    }
    try (client) {
      // The probe writes a key of its own, outside the checked registers.
      String key = MARKER + "probe-" + SimLayout.name(slot);
      Outcome write = await(client.callAsync(KvApp.NAME, KvRequests.put(key, MARKER + "probe").toByteArray()));
      if (write.response == null) {
        return false;
      }
      return await(client.queryAsync(KvApp.NAME, KvRequests.get(key).toByteArray(), false)).response != null;
    }
  }

  @Override
  public List<Verdict> check(List<Operation> operations) {
    return List.of(new LinearizabilityChecker().check(operations), new LostWriteChecker().check(operations));
  }
}
