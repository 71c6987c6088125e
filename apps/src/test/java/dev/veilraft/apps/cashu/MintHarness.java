package dev.veilraft.apps.cashu;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veilraft.apps.HttpAnswer;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.state.StateException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A mint as a wallet sees it: the HTTP front end over a serial gateway on a real store, with the
 * FAKE Lightning backend and one clock shared by the front end and the leader time.
 */
final class MintHarness implements AutoCloseable {
  static final long START_MS = 1_800_000_000_000L;
  static final long ANSWER_TIMEOUT_SECONDS = 30;

  /** A clock the test moves. */
  static final class TestClock extends Clock {
    final AtomicLong millis = new AtomicLong(START_MS);

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return Instant.ofEpochMilli(millis.get());
    }

    void advanceSeconds(long seconds) {
      millis.addAndGet(seconds * 1000);
    }
  }

  /** One HTTP answer with its JSON body. */
  record Answer(int status, JsonNode json) {
    int code() {
      return json.path("code").asInt();
    }
  }

  final TestClock clock = new TestClock();
  final SerialGateway gateway;
  final LightningBackend lightning;
  final CashuHttpApi api;

  MintHarness(Path dir) throws StateException {
    this(dir, FakeLightningBackend::new);
  }

  /** With the Lightning backend {@code backend} makes on the harness's clock. */
  MintHarness(Path dir, java.util.function.Function<Clock, LightningBackend> backend) throws StateException {
    this.gateway = new SerialGateway(dir, clock.millis::get, Hashes.sha256(Hashes.utf8("cashu test random")));
    this.lightning = backend.apply(clock);
    this.api = new CashuHttpApi(gateway, lightning, settings());
  }

  CashuMintSettings settings() {
    return new CashuMintSettings("veilraft test mint", "a test mint", null,
        List.of(new CashuMintSettings.Contact("email", "ops@example.org")), "hello",
        URI.create("https://node.example:8443/v1/cluster"), clock);
  }

  /** Another front end (another node) over the same replicated app. */
  CashuHttpApi secondFrontEnd() {
    return new CashuHttpApi(gateway, lightning, settings());
  }

  Answer call(String method, String path, JsonNode body) {
    return call(api, method, path, body == null ? null : CashuJson.write(body));
  }

  Answer callRaw(String method, String path, byte[] body) {
    return call(api, method, path, body);
  }

  static Answer call(CashuHttpApi api, String method, String path, byte[] body) {
    try {
      HttpAnswer answer = api.handle(method, path, null, body).get(ANSWER_TIMEOUT_SECONDS, TimeUnit.SECONDS);
      assertThat(answer.contentType()).isEqualTo("application/json");
      return new Answer(answer.status(), CashuJson.parseObject(answer.body(), "answer"));
    } catch (Exception e) {
      throw new AssertionError("the front end did not answer " + method + " " + path, e);
    }
  }

  Answer ok(String method, String path, JsonNode body) {
    Answer answer = call(method, path, body);
    assertThat(answer.status()).as("%s %s answered %s", method, path, answer.json()).isEqualTo(200);
    return answer;
  }

  TestWallet wallet(String label) {
    TestWallet wallet = new TestWallet(label);
    wallet.loadKeys(ok("GET", "/v1/keys", null).json());
    return wallet;
  }

  /** A paid mint quote for {@code amount} sat (the fake backend counts it paid at once). */
  String paidQuote(long amount) {
    ObjectNode request = CashuJson.object().put("amount", amount).put("unit", "sat");
    String quote = ok("POST", "/v1/mint/quote/bolt11", request).json().path("quote").asText();
    assertThat(ok("GET", "/v1/mint/quote/bolt11/" + quote, null).json().path("state").asText()).isEqualTo("PAID");
    return quote;
  }

  /** Mints {@code amount} sat of proofs into the wallet. */
  List<TestWallet.Held> mint(TestWallet wallet, long amount) {
    String quote = paidQuote(amount);
    List<TestWallet.Output> outputs = wallet.outputsFor(amount);
    ObjectNode request = CashuJson.object().put("quote", quote);
    request.set("outputs", TestWallet.outputsJson(outputs));
    return wallet.unblind(outputs, ok("POST", "/v1/mint/bolt11", request).json().path("signatures"));
  }

  /** Swaps {@code inputs} into outputs worth their value minus the input fee. */
  List<TestWallet.Held> swap(TestWallet wallet, List<TestWallet.Held> inputs) {
    long value = TestWallet.total(inputs) - MintParameters.inputFee(inputs.size());
    List<TestWallet.Output> outputs = wallet.outputsFor(value);
    return wallet.unblind(outputs, ok("POST", "/v1/swap", TestWallet.swapBody(inputs, outputs)).json()
        .path("signatures"));
  }

  /** NUT-07 states of proofs, in order. */
  List<String> states(List<TestWallet.Held> proofs) {
    ObjectNode request = CashuJson.object();
    proofs.forEach(p -> request.withArray("Ys").add(Hashes.hex(p.y())));
    return ok("POST", "/v1/checkstate", request).json().findValuesAsText("state");
  }

  MintAccounting accounting() {
    try {
      byte[] answer = gateway.query(CashuMintApp.NAME, new MintRequest.Accounting().encode(), true)
          .get(ANSWER_TIMEOUT_SECONDS, TimeUnit.SECONDS).response();
      return MintAccounting.fromJson(CashuJson.parseObject(answer, "accounting"));
    } catch (Exception e) {
      throw new AssertionError("accounting query failed", e);
    }
  }

  @Override
  public void close() {
    gateway.close();
  }
}
