package dev.veilraft.apps.cashu;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.secp256k1.CashuBdhke;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every way a wallet can be refused, through the HTTP front end: each gets its NUT error code
 * (HTTP 400) and leaves the replicated state byte for byte as it was.
 */
class CashuRefusalTest {
  @TempDir Path dir;
  MintHarness mint;
  TestWallet wallet;
  List<TestWallet.Held> coins;

  @BeforeEach
  void open() throws Exception {
    mint = new MintHarness(dir);
    wallet = mint.wallet("refusals");
    coins = mint.mint(wallet, 64 + 32 + 4);
  }

  @AfterEach
  void close() {
    mint.close();
  }

  /** Sends the request and checks the code and that the state did not change. */
  MintHarness.Answer refused(String method, String path, byte[] body, int code) {
    byte[] before = mint.gateway.stateBytes();
    MintHarness.Answer answer = mint.callRaw(method, path, body);
    assertThat(answer.status()).as("answer %s", answer.json()).isEqualTo(400);
    assertThat(answer.code()).as("answer %s", answer.json()).isEqualTo(code);
    assertThat(answer.json().path("detail").asText()).isNotBlank();
    assertThat(mint.gateway.stateBytes()).as("state after a refusal").isEqualTo(before);
    return answer;
  }

  MintHarness.Answer refused(String path, JsonNode body, int code) {
    return refused("POST", path, CashuJson.write(body), code);
  }

  MintHarness.Answer refused(String path, String body, int code) {
    return refused("POST", path, body.getBytes(StandardCharsets.UTF_8), code);
  }

  ObjectNode swapOf(List<TestWallet.Held> inputs, long... outputAmounts) {
    return TestWallet.swapBody(inputs, wallet.outputs(outputAmounts));
  }

  @Test
  void doubleSpendInOneRequestIsRefused() {
    // Proves the same proof twice in one swap is refused as duplicate inputs.
    TestWallet.Held coin = coins.get(0);
    refused("/v1/swap", swapOf(List.of(coin, coin), 4, 2, 1), 11007);
  }

  @Test
  void doubleSpendAcrossRequestsIsRefused() {
    // Proves a proof spent by one swap cannot be spent by a second one, in any combination.
    mint.swap(wallet, List.of(coins.get(0)));
    refused("/v1/swap", swapOf(List.of(coins.get(0)), 2, 1), 11001);
    refused("/v1/swap", swapOf(List.of(coins.get(1), coins.get(0)), 32, 2, 1), 11001);
    assertThat(mint.states(coins)).containsExactly("SPENT", "UNSPENT", "UNSPENT");
  }

  @Test
  void alreadySignedOutputsAreRefused() {
    // Proves a B_ the mint signed once is never signed again: not in a swap, not in a mint.
    List<TestWallet.Output> outputs = wallet.outputs(2, 1);
    mint.ok("POST", "/v1/swap", TestWallet.swapBody(List.of(coins.get(0)), outputs));
    List<TestWallet.Output> reused = new ArrayList<>(wallet.outputs(16, 8, 4, 2));
    reused.add(outputs.get(1));
    refused("/v1/swap", TestWallet.swapBody(List.of(coins.get(1)), reused), 11003);
    String quote = mint.paidQuote(1);
    ObjectNode mintRequest = CashuJson.object().put("quote", quote);
    mintRequest.set("outputs", TestWallet.outputsJson(List.of(outputs.get(1))));
    refused("/v1/mint/bolt11", mintRequest, 11003);
    List<TestWallet.Output> twice = List.of(outputs.get(0), outputs.get(0));
    refused("/v1/swap", TestWallet.swapBody(List.of(coins.get(2)), twice), 11008);
  }

  @Test
  void unbalancedTransactionsAreRefused() {
    // Proves outputs must equal inputs minus the input fee exactly: neither more nor the fee left out.
    refused("/v1/swap", swapOf(List.of(coins.get(0)), 4), 11005);
    refused("/v1/swap", swapOf(List.of(coins.get(0)), 2, 1, 1), 11005);
    String quote = mint.paidQuote(8);
    ObjectNode mintRequest = CashuJson.object().put("quote", quote);
    mintRequest.set("outputs", TestWallet.outputsJson(wallet.outputs(4, 2)));
    refused("/v1/mint/bolt11", mintRequest, 11005);
  }

  @Test
  void unknownKeysetsAreRefused() {
    // Proves inputs and outputs naming a keyset the mint does not have are refused with 12001.
    ObjectNode body = swapOf(List.of(coins.get(0)), 2, 1);
    ((ObjectNode) body.path("outputs").get(0)).put("id", "00ffffffffffffff");
    refused("/v1/swap", body, 12001);
    ObjectNode inputs = swapOf(List.of(coins.get(0)), 2, 1);
    ((ObjectNode) inputs.path("inputs").get(0)).put("id", "00aaaaaaaaaaaaaa");
    refused("/v1/swap", inputs, 12001);
  }

  @Test
  void forgedOrConditionedProofsFailVerification() {
    // Proves a proof whose C is not the mint's signature, or whose amount was changed, or that carries a NUT-10
    // spending condition the mint cannot check, is refused as failed verification.
    TestWallet.Held coin = coins.get(0);
    TestWallet.Held forged = new TestWallet.Held(coin.amount(), coin.keysetId(), coin.secret(),
        CashuBdhke.hashToCurve(Hashes.utf8("not a signature")));
    refused("/v1/swap", swapOf(List.of(forged), 2, 1), 10001);
    TestWallet.Held inflated = new TestWallet.Held(64, coin.keysetId(), coin.secret(), coin.c());
    refused("/v1/swap", swapOf(List.of(inflated), 32, 16, 8, 4, 2, 1), 10001);
    TestWallet.Held p2pk = new TestWallet.Held(coin.amount(), coin.keysetId(),
        "[\"P2PK\",{\"nonce\":\"00\",\"data\":\"02aa\"}]", coin.c());
    refused("/v1/swap", swapOf(List.of(p2pk), 2, 1), 10001);
  }

  @Test
  void quotesCanBeMintedOnceAndOnlyWhenPaid() {
    // Proves a quote mints once (20002), an unpaid one not at all (20001) and an expired unpaid one says so (20007).
    String quote = mint.paidQuote(4);
    ObjectNode first = CashuJson.object().put("quote", quote);
    first.set("outputs", TestWallet.outputsJson(wallet.outputs(4)));
    mint.ok("POST", "/v1/mint/bolt11", first);
    ObjectNode replay = CashuJson.object().put("quote", quote);
    replay.set("outputs", TestWallet.outputsJson(wallet.outputs(4)));
    refused("/v1/mint/bolt11", replay, 20002);
    ObjectNode unknown = CashuJson.object().put("quote", "0190f5a0-0000-7000-8000-000000000000");
    unknown.set("outputs", TestWallet.outputsJson(wallet.outputs(4)));
    refused("/v1/mint/bolt11", unknown, 20000);
  }

  @Test
  void malformedRequestsAreRefusedBeforeTheyReachTheLog() {
    // Proves broken JSON, wrong types, fractions, huge and negative numbers and invalid points get code 10000,
    // and that none of them reaches the replicated app.
    int committed = mint.gateway.committed().size();
    refused("/v1/swap", "{\"inputs\": [", 10000);
    refused("/v1/swap", "[]", 10000);
    refused("/v1/swap", "{\"inputs\":[],\"outputs\":[]} trailing", 10000);
    refused("/v1/swap", "{\"inputs\":[],\"inputs\":[],\"outputs\":[]}", 10000);
    refused("/v1/swap", "{\"inputs\":\"none\",\"outputs\":[]}", 10000);
    ObjectNode body = swapOf(List.of(coins.get(0)), 2, 1);
    for (String amount : new String[] {"\"2\"", "2.5", "1e3", "-1", "9007199254740992", "1" + "0".repeat(40), "true"}) {
      String json = new String(CashuJson.write(body), StandardCharsets.UTF_8)
          .replaceFirst("\"amount\":2", "\"amount\":" + amount);
      refused("/v1/swap", json, 10000);
    }
    ObjectNode offCurve = swapOf(List.of(coins.get(0)), 2, 1);
    ((ObjectNode) offCurve.path("outputs").get(0)).put("B_", "02" + "00".repeat(31) + "07");
    refused("/v1/swap", offCurve, 10000);
    ObjectNode badC = swapOf(List.of(coins.get(0)), 2, 1);
    ((ObjectNode) badC.path("inputs").get(0)).put("C", "04" + "11".repeat(32));
    refused("/v1/swap", badC, 10000);
    ObjectNode shortHex = swapOf(List.of(coins.get(0)), 2, 1);
    ((ObjectNode) shortHex.path("outputs").get(0)).put("B_", "02abcd");
    refused("/v1/swap", shortHex, 10000);
    refused("/v1/checkstate", "{\"Ys\":[\"zz\"]}", 10000);
    refused("/v1/mint/bolt11", "{\"quote\":\"not-a-quote\",\"outputs\":[]}", 10000);
    refused("/v1/swap", "{\"inputs\":[" + "[".repeat(40) + "]".repeat(40) + "],\"outputs\":[]}", 10000);
    assertThat(mint.gateway.committed()).as("nothing reached the log").hasSize(committed);
  }

  @Test
  void limitsOnInputsOutputsUnitsAndAmountsAreEnforced() {
    // Proves the per-request bounds and the quote limits answer with their own codes.
    ObjectNode tooManyOutputs = swapOf(List.of(coins.get(0)), new long[MintParameters.OUTPUTS_MAX + 1]);
    refused("/v1/swap", tooManyOutputs, 11015);
    ArrayNode inputs = CashuJson.array();
    for (int i = 0; i <= MintParameters.INPUTS_MAX; i++) {
      inputs.add(coins.get(0).json());
    }
    ObjectNode tooManyInputs = CashuJson.object();
    tooManyInputs.set("inputs", inputs);
    tooManyInputs.set("outputs", CashuJson.array());
    refused("/v1/swap", tooManyInputs, 11014);
    refused("/v1/mint/quote/bolt11", CashuJson.object().put("amount", 10).put("unit", "usd"), 11013);
    refused("/v1/mint/quote/bolt11", CashuJson.object().put("amount", 0).put("unit", "sat"), 11006);
    refused("/v1/mint/quote/bolt11", CashuJson.object().put("amount", MintParameters.MINT_AMOUNT_MAX + 1)
        .put("unit", "sat"), 11006);
    String amountless = mint.lightning.createInvoice(1, "", 600).join().bolt11();
    refused("/v1/melt/quote/bolt11", CashuJson.object().put("request", amountless).put("unit", "sat")
        .set("options", CashuJson.object().set("amountless", CashuJson.object().put("amount_msat", 1000))), 11011);
    refused("/v1/melt/quote/bolt11", CashuJson.object().put("request", "lnbc1garbage").put("unit", "sat"), 10000);
  }

  @Test
  void wrongMethodsAndPathsAreNotFound() {
    // Proves routing: unknown paths are 404 and the wrong verb is 405, both with a JSON detail.
    assertThat(mint.call("GET", "/v1/nothing", null).status()).isEqualTo(404);
    assertThat(mint.call("GET", "/v1/swap", null).status()).isEqualTo(405);
    assertThat(mint.call("POST", "/v1/keys", CashuJson.object()).status()).isEqualTo(405);
    assertThat(mint.call("GET", "/v1/mint/quote/bolt11/xyz", null).code()).isEqualTo(20000);
  }
}
