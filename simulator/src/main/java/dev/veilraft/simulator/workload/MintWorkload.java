package dev.veilraft.simulator.workload;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.simulator.check.MintChecker;
import dev.veilraft.simulator.check.Verdict;
import dev.veilraft.simulator.cluster.SimLayout;
import dev.veilraft.simulator.history.HistoryEvent;
import dev.veilraft.simulator.history.HistoryRecorder;
import dev.veilraft.simulator.history.Operation;
import dev.veilraft.simulator.workload.cashu.BlindedOutputs;
import dev.veilraft.simulator.workload.cashu.MintHttp;
import dev.veilraft.simulator.workload.cashu.MintKeys;
import dev.veilraft.simulator.workload.cashu.WalletProof;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Cashu wallets against the mint's front end on every node ({@code /cashu/v1/...}): each client
 * process mints (quote, the FAKE Lightning backend counts the invoice paid, mint), swaps, melts
 * (an invoice from a mint quote, a melt quote, the melt) and contests proofs: the same inputs
 * swapped through two different nodes at once. Blinding is the crypto module's NUT-00 BDHKE; the
 * wallet's randomness comes from the run's seed. A call without an answer is {@code info} and
 * its process retires; the wallet gives up the inputs of such a call. After the heal, the final
 * phase settles melts left PENDING, asks every node for the state of every proof the wallets ever
 * held (NUT-07) and for the mint's books (the accounting query, through the SDK).
 */
public final class MintWorkload implements Workload {
  public static final String NAME = "mint";
  /** Every proof secret starts with this, so the disk scan finds any secret stored in plaintext. */
  public static final String MARKER = "veilraft-sim-secret-";
  /** A wallet poorer than this mints first. */
  static final long BALANCE_MIN_SAT = 64;
  static final int MINT_AMOUNT_MIN_SAT = 32;
  static final int MINT_AMOUNT_SPREAD_SAT = 224;
  static final int SWAP_INPUTS_MAX = 4;
  static final int CONTEST_INPUTS_MAX = 3;
  static final int MELT_AMOUNT_MAX_SAT = 40;
  /** NUT-07 asks for at most this many Ys per request (the mint's CHECK_STATE_YS_MAX). */
  static final int CHECK_STATE_BATCH_MAX = 100;
  /** Pause between one client's operations: a mint operation is several commits, and the mint's state grows with every one. */
  static final long thinkMsMax = 100;
  static final long retryPauseMs = 300;
  static final long stopWaitMs = MintHttp.CALL_TIMEOUT.toMillis() * 2 + 5_000;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final JsonNodeFactory J = JsonNodeFactory.instance;

  private final AtomicBoolean stopping = new AtomicBoolean();
  private final AtomicInteger nextProcess = new AtomicInteger();
  private final List<Thread> workers = new ArrayList<>();
  private final List<List<WalletProof>> wallets = new CopyOnWriteArrayList<>();
  /** Every proof a wallet ever received, by Y: amount. */
  private final Map<String, Long> known = new ConcurrentHashMap<>();
  private final Set<String> pendingMelts = ConcurrentHashMap.newKeySet();
  private final HttpClient http = MintHttp.newClient();
  private final ExecutorService contest = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "mint-contest");
    t.setDaemon(true);
    return t;
  });
  private volatile MintKeys keys;
  private WorkloadContext context;

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
    for (int w = 0; w < context.concurrency(); w++) {
      Random random = new Random(context.seed() * 1_000_003L + w);
      List<WalletProof> wallet = new ArrayList<>();
      wallets.add(wallet);
      Thread t = new Thread(() -> runWorker(random, wallet), "mint-client-" + w);
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
    contest.shutdownNow();
  }

  /** One logical process: its id, the node it talks to. */
  private final class Process {
    final int id = nextProcess.getAndIncrement();
    final int slot;
    final MintHttp mint;

    Process(int slot) {
      this.slot = slot;
      this.mint = new MintHttp(http, context.cluster().insecurePlainHttp(slot));
    }

    String node() {
      return SimLayout.name(slot);
    }
  }

  private void runWorker(Random random, List<WalletProof> wallet) {
    Process process = null;
    while (!stopping.get()) {
      try {
        if (process == null) {
          process = new Process(random.nextInt(context.cluster().layout().members()));
        }
        boolean keep = keys != null ? step(process, wallet, random) : fetchKeys(process);
        if (!keep) {
          process = null;
          Thread.sleep(retryPauseMs);
        }
        Thread.sleep(1 + (long) (random.nextDouble() * thinkMsMax));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /** NUT-01 keys, recorded once as the {@code keys} operation the checker verifies signatures with. */
  private synchronized boolean fetchKeys(Process p) throws InterruptedException {
    if (keys != null) {
      return true;
    }
    invoke(p, "keys", null, null);
    MintHttp.Answer a = p.mint.get("/v1/keys");
    if (!a.ok()) {
      complete(p, "keys", null, HistoryEvent.Type.FAIL, null, a.error());
      return false;
    }
    MintKeys parsed;
    try {
      parsed = MintKeys.parse(a.body());
    } catch (IllegalArgumentException e) {
      complete(p, "keys", null, HistoryEvent.Type.FAIL, null, "malformed keys: " + e.getMessage());
      return false;
    }
    complete(p, "keys", null, HistoryEvent.Type.OK, parsed.toJson(), null);
    keys = parsed;
    return true;
  }

  /** Runs one wallet operation; false when the process must retire or switch nodes. */
  private boolean step(Process p, List<WalletProof> wallet, Random random) throws InterruptedException {
    long balance = wallet.stream().mapToLong(WalletProof::amount).sum();
    double dice = random.nextDouble();
    if (balance < BALANCE_MIN_SAT || dice < 0.3) {
      return mint(p, wallet, random);
    }
    if (dice < 0.6) {
      return swap(p, wallet, random);
    }
    if (dice < 0.8) {
      return melt(p, wallet, random);
    }
    return contest(p, wallet, random);
  }

  private boolean mint(Process p, List<WalletProof> wallet, Random random) throws InterruptedException {
    long amount = MINT_AMOUNT_MIN_SAT + random.nextInt(MINT_AMOUNT_SPREAD_SAT);
    JsonNode quote = mintQuote(p, amount);
    if (quote == null) {
      return false;
    }
    String id = quote.path("quote").asText();
    BlindedOutputs outputs = BlindedOutputs.forAmount(keys, amount, MARKER, random);
    ObjectNode argument = J.objectNode().put("amount", amount).set("outputs", outputs.toHistory());
    invoke(p, "mint", id, argument);
    ObjectNode body = J.objectNode().put("quote", id).set("outputs", outputs.toWire());
    MintHttp.Answer a = p.mint.post("/v1/mint/bolt11", body);
    if (!a.ok()) {
      completeFailed(p, "mint", id, a);
      return false;
    }
    complete(p, "mint", id, HistoryEvent.Type.OK, received(outputs, a.body(), wallet), null);
    return true;
  }

  /** A mint quote (NUT-04); its answer, or null after recording why not. */
  private JsonNode mintQuote(Process p, long amount) throws InterruptedException {
    invoke(p, "mint-quote", null, J.objectNode().put("amount", amount));
    MintHttp.Answer a = p.mint.post("/v1/mint/quote/bolt11", J.objectNode().put("amount", amount).put("unit", "sat"));
    if (!a.ok() || a.body().path("quote").asText().isEmpty()) {
      completeFailed(p, "mint-quote", null, a);
      return null;
    }
    complete(p, "mint-quote", null, HistoryEvent.Type.OK,
        J.objectNode().put("quote", a.body().path("quote").asText()).put("amount", amount), null);
    return a.body();
  }

  private boolean swap(Process p, List<WalletProof> wallet, Random random) throws InterruptedException {
    List<WalletProof> inputs = take(wallet, 1 + random.nextInt(SWAP_INPUTS_MAX), random);
    long out = sum(inputs) - keys.inputFee(inputs.size());
    if (out <= 0) {
      wallet.addAll(inputs);
      return true;
    }
    BlindedOutputs outputs = BlindedOutputs.forAmount(keys, out, MARKER, random);
    MintHttp.Answer a = swapCall(p, inputs, outputs, false);
    if (a.ok()) {
      complete(p, "swap", null, HistoryEvent.Type.OK, received(outputs, a.body(), wallet), null);
      return true;
    }
    completeFailed(p, "swap", null, a);
    if (a.kind() == MintHttp.Answer.Kind.REFUSED) {
      // Refused: nothing happened, the inputs are still the wallet's (the final state check judges that).
      wallet.addAll(inputs);
    }
    return false;
  }

  private MintHttp.Answer swapCall(Process p, List<WalletProof> inputs, BlindedOutputs outputs, boolean contested)
      throws InterruptedException {
    ObjectNode argument = J.objectNode();
    argument.set("inputs", history(inputs));
    argument.set("outputs", outputs.toHistory());
    if (contested) {
      argument.put("contested", true);
    }
    invoke(p, "swap", null, argument);
    ObjectNode body = J.objectNode();
    body.set("inputs", wire(inputs));
    body.set("outputs", outputs.toWire());
    return p.mint.post("/v1/swap", body);
  }

  /**
   * A double-spend attempt: the same inputs swapped through this process's node and through
   * another running member at the same time, to different outputs. At most one may succeed.
   */
  private boolean contest(Process p, List<WalletProof> wallet, Random random) throws InterruptedException {
    int members = context.cluster().layout().members();
    int other = (p.slot + 1 + random.nextInt(Math.max(1, members - 1))) % members;
    if (other == p.slot || !context.cluster().running(other)) {
      return true;
    }
    List<WalletProof> inputs = take(wallet, 1 + random.nextInt(CONTEST_INPUTS_MAX), random);
    long out = sum(inputs) - keys.inputFee(inputs.size());
    if (out <= 0) {
      wallet.addAll(inputs);
      return true;
    }
    Process q = new Process(other);
    BlindedOutputs first = BlindedOutputs.forAmount(keys, out, MARKER, random);
    BlindedOutputs second = BlindedOutputs.forAmount(keys, out, MARKER, random);
    CompletableFuture<MintHttp.Answer> a = call(() -> swapCall(p, inputs, first, true));
    CompletableFuture<MintHttp.Answer> b = call(() -> swapCall(q, inputs, second, true));
    MintHttp.Answer answerA = a.join();
    MintHttp.Answer answerB = b.join();
    // The inputs are gone either way: one swap spent them, or their fate is open.
    settleContested(p, first, answerA, wallet);
    settleContested(q, second, answerB, wallet);
    return answerA.kind() != MintHttp.Answer.Kind.UNKNOWN;
  }

  private void settleContested(Process p, BlindedOutputs outputs, MintHttp.Answer a, List<WalletProof> wallet) {
    if (a.ok()) {
      complete(p, "swap", null, HistoryEvent.Type.OK, received(outputs, a.body(), wallet), null);
    } else {
      completeFailed(p, "swap", null, a);
    }
  }

  private interface Call {
    MintHttp.Answer run() throws InterruptedException;
  }

  private CompletableFuture<MintHttp.Answer> call(Call call) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return call.run();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return new MintHttp.Answer(MintHttp.Answer.Kind.UNKNOWN, null, "interrupted");
      }
    }, contest);
  }

  private boolean melt(Process p, List<WalletProof> wallet, Random random) throws InterruptedException {
    long amount = 1 + random.nextInt(MELT_AMOUNT_MAX_SAT);
    JsonNode invoice = mintQuote(p, amount);
    if (invoice == null) {
      return false;
    }
    invoke(p, "melt-quote", null, J.objectNode().put("amount", amount));
    MintHttp.Answer q = p.mint.post("/v1/melt/quote/bolt11", J.objectNode()
        .put("request", invoice.path("request").asText()).put("unit", "sat"));
    String id = q.ok() ? q.body().path("quote").asText() : "";
    if (id.isEmpty()) {
      completeFailed(p, "melt-quote", null, q);
      return false;
    }
    long reserve = q.body().path("fee_reserve").asLong();
    complete(p, "melt-quote", null, HistoryEvent.Type.OK, J.objectNode().put("quote", id)
        .put("amount", q.body().path("amount").asLong()).put("fee_reserve", reserve), null);
    List<WalletProof> inputs = cover(wallet, amount + reserve);
    if (inputs == null) {
      return true;
    }
    ObjectNode argument = J.objectNode().put("amount", amount).put("fee_reserve", reserve);
    argument.set("inputs", history(inputs));
    invoke(p, "melt", id, argument);
    ObjectNode body = J.objectNode().put("quote", id);
    body.set("inputs", wire(inputs));
    MintHttp.Answer a = p.mint.post("/v1/melt/bolt11", body);
    if (!a.ok()) {
      completeFailed(p, "melt", id, a);
      if (a.kind() == MintHttp.Answer.Kind.REFUSED) {
        wallet.addAll(inputs);
      } else {
        pendingMelts.add(id);
      }
      return false;
    }
    String state = a.body().path("state").asText();
    complete(p, "melt", id, HistoryEvent.Type.OK, J.objectNode().put("state", state)
        .put("fee_paid", a.body().path("fee_paid").asLong(0)), null);
    if ("UNPAID".equals(state)) {
      wallet.addAll(inputs);
    } else if (!"PAID".equals(state)) {
      pendingMelts.add(id);
    }
    return true;
  }

  /** Takes (removes) inputs worth at least {@code amount} plus their input fee, largest first; null if too poor. */
  private List<WalletProof> cover(List<WalletProof> wallet, long amount) {
    List<WalletProof> sorted = new ArrayList<>(wallet);
    sorted.sort(Comparator.comparingLong(WalletProof::amount).reversed());
    List<WalletProof> chosen = new ArrayList<>();
    for (WalletProof proof : sorted) {
      chosen.add(proof);
      if (sum(chosen) >= amount + keys.inputFee(chosen.size())) {
        wallet.removeAll(chosen);
        return chosen;
      }
    }
    return null;
  }

  private static List<WalletProof> take(List<WalletProof> wallet, int count, Random random) {
    List<WalletProof> taken = new ArrayList<>();
    while (taken.size() < count && !wallet.isEmpty()) {
      taken.add(wallet.remove(random.nextInt(wallet.size())));
    }
    return taken;
  }

  private static long sum(List<WalletProof> proofs) {
    return proofs.stream().mapToLong(WalletProof::amount).sum();
  }

  private static ArrayNode history(List<WalletProof> proofs) {
    ArrayNode array = J.arrayNode();
    proofs.forEach(proof -> array.add(proof.toHistory()));
    return array;
  }

  private static ArrayNode wire(List<WalletProof> proofs) {
    ArrayNode array = J.arrayNode();
    proofs.forEach(proof -> array.add(proof.toWire()));
    return array;
  }

  /** Unblinds an answer's signatures into the wallet; the ok value lists each signature for the checker. */
  private JsonNode received(BlindedOutputs outputs, JsonNode answer, List<WalletProof> wallet) {
    try {
      BlindedOutputs.Unblinded unblinded = outputs.unblind(answer.path("signatures"));
      for (WalletProof proof : unblinded.proofs()) {
        known.put(proof.y(), proof.amount());
      }
      synchronized (wallet) {
        wallet.addAll(unblinded.proofs());
      }
      return J.objectNode().set("signatures", unblinded.history());
    } catch (IllegalArgumentException e) {
      // The mint acknowledged with an answer a wallet cannot use: the checker fails the run on it.
      return J.objectNode().put("malformed", e.getMessage());
    }
  }

  private void invoke(Process p, String f, String key, JsonNode value) {
    HistoryRecorder h = context.history();
    h.record(new HistoryEvent(p.id, HistoryEvent.Type.INVOKE, f, key, value, h.now(), p.node(), null));
  }

  private void complete(Process p, String f, String key, HistoryEvent.Type type, JsonNode value, String error) {
    HistoryRecorder h = context.history();
    h.record(new HistoryEvent(p.id, type, f, key, value, h.now(), p.node(), error));
  }

  /** A call without success: {@code fail} when the mint refused it, {@code info} when its outcome is open. */
  private void completeFailed(Process p, String f, String key, MintHttp.Answer a) {
    complete(p, f, key, a.kind() == MintHttp.Answer.Kind.REFUSED ? HistoryEvent.Type.FAIL : HistoryEvent.Type.INFO,
        null, a.error() != null ? a.error() : "answer without the expected fields");
  }

  @Override
  public boolean finish(Duration bound) throws InterruptedException {
    long deadline = System.nanoTime() + bound.toNanos();
    boolean all = true;
    for (String quote : pendingMelts) {
      all &= settleMelt(quote, deadline);
    }
    List<ObjectNode> proofs = new ArrayList<>();
    Set<String> held = ConcurrentHashMap.newKeySet();
    for (List<WalletProof> wallet : wallets) {
      synchronized (wallet) {
        wallet.forEach(proof -> held.add(proof.y()));
      }
    }
    known.forEach((y, amount) -> proofs.add(J.objectNode().put("Y", y).put("amount", amount)
        .put("held", held.contains(y))));
    for (int slot = 0; slot < context.cluster().layout().slots(); slot++) {
      if (!context.cluster().running(slot)) {
        continue;
      }
      for (int from = 0; from < proofs.size(); from += CHECK_STATE_BATCH_MAX) {
        all &= checkState(slot, proofs.subList(from, Math.min(proofs.size(), from + CHECK_STATE_BATCH_MAX)), deadline);
      }
      all &= accounting(slot, deadline);
    }
    return all;
  }

  /** Asks for a PENDING (or unanswered) melt's state until the mint settled it; the check settles it. */
  private boolean settleMelt(String quote, long deadline) throws InterruptedException {
    int attempt = 0;
    while (System.nanoTime() < deadline) {
      Process p = new Process(runningSlot(attempt++));
      invoke(p, "melt-state", quote, null);
      MintHttp.Answer a = p.mint.get("/v1/melt/quote/bolt11/" + quote);
      if (a.ok()) {
        String state = a.body().path("state").asText();
        complete(p, "melt-state", quote, HistoryEvent.Type.OK, J.objectNode().put("state", state)
            .put("fee_paid", a.body().path("fee_paid").asLong(0)), null);
        if (!"PENDING".equals(state)) {
          return true;
        }
      } else {
        complete(p, "melt-state", quote, HistoryEvent.Type.FAIL, null, a.error());
      }
      Thread.sleep(retryPauseMs);
    }
    return false;
  }

  private int runningSlot(int attempt) {
    int members = context.cluster().layout().members();
    for (int i = 0; i < members; i++) {
      int slot = (attempt + i) % members;
      if (context.cluster().running(slot)) {
        return slot;
      }
    }
    return attempt % members;
  }

  private boolean checkState(int slot, List<ObjectNode> batch, long deadline) throws InterruptedException {
    ArrayNode ys = J.arrayNode();
    ArrayNode proofs = J.arrayNode();
    batch.forEach(proof -> {
      ys.add(proof.path("Y").asText());
      proofs.add(proof);
    });
    while (System.nanoTime() < deadline) {
      Process p = new Process(slot);
      invoke(p, "checkstate", null, J.objectNode().set("proofs", proofs));
      MintHttp.Answer a = p.mint.post("/v1/checkstate", J.objectNode().set("Ys", ys));
      JsonNode states = a.ok() ? a.body().path("states") : null;
      if (states != null && states.isArray() && states.size() == batch.size()) {
        ArrayNode result = J.arrayNode();
        for (JsonNode s : states) {
          result.add(J.objectNode().put("Y", s.path("Y").asText()).put("state", s.path("state").asText()));
        }
        complete(p, "checkstate", null, HistoryEvent.Type.OK, J.objectNode().set("states", result), null);
        return true;
      }
      complete(p, "checkstate", null, HistoryEvent.Type.FAIL, null, a.ok() ? "answer without one state per Y"
          : a.error());
      Thread.sleep(retryPauseMs);
    }
    return false;
  }

  /** The mint's books through the SDK's accounting query (a linearizable read on this node). */
  private boolean accounting(int slot, long deadline) throws InterruptedException {
    byte[] request = Hashes.utf8("{\"op\":\"accounting\"}");
    while (System.nanoTime() < deadline) {
      Process p = new Process(slot);
      invoke(p, "accounting", null, null);
      String error;
      try {
        byte[] answer;
        try (dev.veilraft.client.VeilraftClient client = context.clients().connect(slot)) {
          answer = client.queryAsync(MintChecker.APP, request, false)
              .get(MintHttp.CALL_TIMEOUT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        }
        complete(p, "accounting", null, HistoryEvent.Type.OK, JSON.readTree(answer), null);
        return true;
      } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException
          | dev.veilraft.client.ClientException | java.io.IOException e) {
        error = String.valueOf(e.getCause() != null ? e.getCause() : e);
      }
      complete(p, "accounting", null, HistoryEvent.Type.FAIL, null, error.length() > 200 ? error.substring(0, 200)
          : error);
      Thread.sleep(retryPauseMs);
    }
    return false;
  }

  @Override
  public boolean probe(int slot) throws InterruptedException {
    // A quote (a committed write) and its state (a linearizable read), outside the history.
    MintHttp mint = new MintHttp(http, context.cluster().insecurePlainHttp(slot));
    MintHttp.Answer quote = mint.post("/v1/mint/quote/bolt11", J.objectNode().put("amount", 1).put("unit", "sat"));
    if (!quote.ok()) {
      return false;
    }
    return mint.get("/v1/mint/quote/bolt11/" + quote.body().path("quote").asText()).ok();
  }

  @Override
  public List<Verdict> check(List<Operation> operations) {
    return new MintChecker().check(operations);
  }
}
