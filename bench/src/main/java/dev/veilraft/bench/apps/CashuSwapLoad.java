package dev.veilraft.bench.apps;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veilraft.apps.cashu.MintParameters;
import dev.veilraft.bench.apps.BenchWallet.Output;
import dev.veilraft.bench.apps.BenchWallet.Proof;
import dev.veilraft.bench.apps.BenchWallet.WalletException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.HdrHistogram.Histogram;

/**
 * NUT-03 swaps against the replicated mint: {@code conc} clients, client {@code i} talking to
 * node {@code i mod size} over plain HTTP, each with its own wallet minted once through the fake
 * Lightning backend. Each swap spends two proofs (the wallet's largest and smallest, so a swap
 * has about two outputs and the wallet about ten proofs) into outputs worth their sum minus the
 * input fee; the new proofs feed the next swap. Closed loop: one swap in flight per client. Any
 * refused or malformed answer stops the run and is reported.
 */
final class CashuSwapLoad {
  /** What each client mints: enough for one swap a millisecond for over a minute and a half. */
  static final long MINT_AMOUNT_SAT = 100_000;
  static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(60);
  private static final int SWAP_INPUTS = 2;
  private static final int FAILURES_SHOWN_MAX = 5;

  /** The measured part of a run. */
  record Result(long swaps, double seconds, Histogram latency, long outputs, List<String> failures) {
    double swapsPerSecond() {
      return swaps / seconds;
    }

    double outputsPerSwap() {
      return swaps == 0 ? 0 : (double) outputs / swaps;
    }
  }

  private final AppsCluster cluster;
  private final HttpClient http;
  private final int concurrency;
  private final boolean checkDleq;
  private final List<Client> clients = new ArrayList<>();
  private final List<String> failures = Collections.synchronizedList(new ArrayList<>());
  private final AtomicBoolean failed = new AtomicBoolean();

  CashuSwapLoad(AppsCluster cluster, HttpClient http, int concurrency, boolean checkDleq) {
    this.cluster = cluster;
    this.http = http;
    this.concurrency = concurrency;
    this.checkDleq = checkDleq;
  }

  /** One wallet per client, each funded by one paid mint quote on its own node (DLEQ checked). */
  void prepare() throws IOException, InterruptedException, WalletException {
    for (int i = 0; i < concurrency; i++) {
      String mint = cluster.mintUrl(i % cluster.size());
      BenchWallet wallet = BenchWallet.forKeys(call(mint, "GET", "/v1/keys", null));
      ObjectNode quoteRequest = BenchWallet.JSON.createObjectNode().put("amount", MINT_AMOUNT_SAT)
          .put("unit", MintParameters.UNIT);
      String quote = call(mint, "POST", "/v1/mint/quote/" + MintParameters.METHOD, quoteRequest).path("quote").asText();
      String state = call(mint, "GET", "/v1/mint/quote/" + MintParameters.METHOD + "/" + quote, null).path("state")
          .asText();
      if (!"PAID".equals(state)) {
        throw new WalletException("the fake Lightning backend left mint quote " + quote + " in state " + state);
      }
      List<Output> outputs = wallet.outputsFor(MINT_AMOUNT_SAT);
      JsonNode minted = call(mint, "POST", "/v1/mint/" + MintParameters.METHOD, wallet.mintBody(quote, outputs));
      clients.add(new Client(mint, wallet, new ArrayList<>(wallet.unblind(outputs, minted.path("signatures"), true))));
    }
  }

  /** Runs every client until the window closes; the caller checks {@link Result#failures}. */
  Result run(Window window) throws InterruptedException {
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < clients.size(); i++) {
      Client client = clients.get(i);
      Thread thread = new Thread(() -> client.loop(window), "cashu-client-" + i);
      thread.start();
      threads.add(thread);
    }
    for (Thread thread : threads) {
      thread.join();
    }
    Histogram latency = Window.histogram();
    long swaps = 0;
    long outputs = 0;
    for (Client client : clients) {
      latency.add(client.latency);
      swaps += client.swaps;
      outputs += client.outputs;
    }
    return new Result(swaps, window.seconds(), latency, outputs, List.copyOf(failures));
  }

  private final class Client {
    final String mint;
    final BenchWallet wallet;
    final List<Proof> proofs;
    final Histogram latency = Window.histogram();
    long swaps;
    long outputs;

    Client(String mint, BenchWallet wallet, List<Proof> proofs) {
      this.mint = mint;
      this.wallet = wallet;
      this.proofs = proofs;
    }

    void loop(Window window) {
      try {
        while (!window.over() && !failed.get()) {
          swapOnce(window);
        }
      } catch (IOException | WalletException | RuntimeException e) {
        fail(mint + ": " + e.getMessage());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        fail(mint + ": interrupted");
      }
    }

    void swapOnce(Window window) throws IOException, InterruptedException, WalletException {
      if (proofs.size() < SWAP_INPUTS) {
        throw new WalletException("the wallet holds " + proofs.size() + " proofs, too few to swap");
      }
      proofs.sort(Comparator.comparingLong(Proof::amount));
      List<Proof> inputs = List.of(proofs.get(proofs.size() - 1), proofs.get(0));
      long total = inputs.get(0).amount() + inputs.get(1).amount() - MintParameters.inputFee(SWAP_INPUTS);
      if (total < 1) {
        throw new WalletException("the wallet ran dry: its two proofs are worth only the fee");
      }
      List<Output> fresh = wallet.outputsFor(total);
      ObjectNode body = wallet.swapBody(inputs, fresh);
      long started = System.nanoTime();
      JsonNode answer = call(mint, "POST", "/v1/swap", body);
      long completed = System.nanoTime();
      proofs.removeAll(inputs);
      proofs.addAll(wallet.unblind(fresh, answer.path("signatures"), checkDleq));
      if (window.counts(completed)) {
        Window.record(latency, completed - started);
        swaps++;
        outputs += fresh.size();
      }
    }
  }

  private void fail(String failure) {
    failed.set(true);
    if (failures.size() < FAILURES_SHOWN_MAX) {
      failures.add(failure);
    }
  }

  /** One JSON request; anything but 200 with a JSON object is an error naming the status and the mint's detail. */
  private JsonNode call(String mint, String method, String path, ObjectNode body) throws IOException,
      InterruptedException {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(mint + path)).timeout(REQUEST_TIMEOUT);
    if (body == null) {
      request.GET();
    } else {
      request.header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofByteArray(BenchWallet.JSON.writeValueAsBytes(body)));
    }
    HttpResponse<byte[]> response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    JsonNode json;
    try {
      json = BenchWallet.JSON.readTree(response.body());
    } catch (IOException e) {
      json = null;
    }
    if (response.statusCode() != 200 || json == null || !json.isObject()) {
      String detail = json != null && json.has("detail")
          ? json.path("code").asText() + " " + json.path("detail").asText()
          : new String(response.body(), StandardCharsets.UTF_8);
      throw new IOException(method + " " + path + " answered " + response.statusCode() + ": "
          + detail.substring(0, Math.min(detail.length(), 300)));
    }
    return json;
  }
}
