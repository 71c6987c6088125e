package dev.veilraft.apps.cashu;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.secp256k1.Bolt11;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The mint end to end through its HTTP front end: keys, info, mint, swap, check state, melt. */
class CashuMintFlowTest {
  @TempDir Path dir;
  MintHarness mint;

  @BeforeEach
  void open() throws Exception {
    mint = new MintHarness(dir);
  }

  @AfterEach
  void close() {
    mint.close();
  }

  @Test
  void keysAndKeysetsFollowNut01AndNut02() {
    // Proves the first keys request creates one active sat keyset of 33 power-of-two keys with a v1 id
    // a wallet can recompute, and that the keyset endpoints agree with each other.
    JsonNode keys = mint.ok("GET", "/v1/keys", null).json();
    assertThat(keys.path("keysets")).hasSize(1);
    JsonNode keyset = keys.path("keysets").get(0);
    assertThat(keyset.path("unit").asText()).isEqualTo("sat");
    assertThat(keyset.path("active").asBoolean()).isTrue();
    assertThat(keyset.path("input_fee_ppk").asInt()).isEqualTo(MintParameters.INPUT_FEE_PPK);
    assertThat(keyset.path("keys").size()).isEqualTo(MintParameters.AMOUNT_EXPONENT_MAX + 1);
    assertThat(keyset.path("keys").has("1")).isTrue();
    assertThat(keyset.path("keys").has("4294967296")).isTrue();
    TestWallet wallet = mint.wallet("keys");
    String id = wallet.keysetId;
    assertThat(id).startsWith("00").hasSize(16);

    JsonNode keysets = mint.ok("GET", "/v1/keysets", null).json();
    assertThat(keysets.path("keysets")).hasSize(1);
    assertThat(keysets.path("keysets").get(0).path("id").asText()).isEqualTo(id);
    assertThat(keysets.path("keysets").get(0).has("keys")).isFalse();
    assertThat(mint.ok("GET", "/v1/keys/" + id, null).json()).isEqualTo(keys);
    assertThat(mint.ok("GET", "/v1/keys", null).json()).as("keys are made once").isEqualTo(keys);

    MintHarness.Answer unknown = mint.call("GET", "/v1/keys/00ffffffffffffff", null);
    assertThat(unknown.status()).isEqualTo(400);
    assertThat(unknown.code()).isEqualTo(12001);
  }

  @Test
  void infoFollowsNut06AndLinksTheAttestation() {
    // Proves /v1/info carries the NUT-06 fields, the supported NUTs with their settings, the group's pubkey,
    // and the cluster attestation link.
    JsonNode info = mint.ok("GET", "/v1/info", null).json();
    assertThat(info.path("name").asText()).isEqualTo("veilraft test mint");
    assertThat(info.path("version").asText()).startsWith("veilraft/");
    assertThat(info.path("pubkey").asText()).matches("0[23][0-9a-f]{64}");
    assertThat(info.path("contact").get(0).path("method").asText()).isEqualTo("email");
    assertThat(info.path("motd").asText()).isEqualTo("hello");
    assertThat(info.path("time").asLong()).isEqualTo(MintHarness.START_MS / 1000);
    JsonNode nuts = info.path("nuts");
    assertThat(nuts.path("4").path("disabled").asBoolean()).isFalse();
    assertThat(nuts.path("4").path("methods").get(0).path("method").asText()).isEqualTo("bolt11");
    assertThat(nuts.path("4").path("methods").get(0).path("options").path("description").asBoolean()).isTrue();
    assertThat(nuts.path("5").path("methods").get(0).path("unit").asText()).isEqualTo("sat");
    assertThat(nuts.path("7").path("supported").asBoolean()).isTrue();
    assertThat(nuts.path("8").path("supported").asBoolean()).isTrue();
    assertThat(nuts.path("12").path("supported").asBoolean()).isTrue();
    assertThat(info.path("veilraft").path("attestation_url").asText()).isEqualTo("https://node.example:8443/v1/cluster");
    assertThat(info.path("description_long").asText()).contains("https://node.example:8443/v1/cluster");
  }

  @Test
  void mintQuoteFollowsNut23() {
    // Proves a mint quote carries a regtest BOLT 11 invoice for the amount, a UUID v7 id, state and expiry, and
    // moves UNPAID -> PAID -> ISSUED.
    JsonNode quote = mint.ok("POST", "/v1/mint/quote/bolt11", CashuJson.object().put("amount", 21).put("unit", "sat")
        .put("description", "coffee")).json();
    assertThat(quote.path("quote").asText()).matches(MintRequest.QUOTE_ID.pattern());
    assertThat(quote.path("amount").asLong()).isEqualTo(21);
    assertThat(quote.path("unit").asText()).isEqualTo("sat");
    assertThat(quote.path("state").asText()).isEqualTo("UNPAID");
    Bolt11.Invoice invoice = Bolt11.decode(quote.path("request").asText());
    assertThat(invoice.network()).isEqualTo("bcrt");
    assertThat(invoice.amountMsat()).isEqualTo(21_000L);
    assertThat(invoice.description()).isEqualTo("coffee");
    assertThat(quote.path("expiry").asLong()).isEqualTo(invoice.expiresAtSeconds())
        .isEqualTo(MintHarness.START_MS / 1000 + MintParameters.MINT_QUOTE_EXPIRY_SECONDS);

    String id = quote.path("quote").asText();
    assertThat(mint.ok("GET", "/v1/mint/quote/bolt11/" + id, null).json().path("state").asText()).isEqualTo("PAID");
    TestWallet wallet = mint.wallet("nut23");
    List<TestWallet.Output> outputs = wallet.outputs(16, 4, 1);
    ObjectNode request = CashuJson.object().put("quote", id);
    request.set("outputs", TestWallet.outputsJson(outputs));
    JsonNode signatures = mint.ok("POST", "/v1/mint/bolt11", request).json().path("signatures");
    assertThat(wallet.unblind(outputs, signatures)).extracting(TestWallet.Held::amount).containsExactly(16L, 4L, 1L);
    assertThat(mint.ok("GET", "/v1/mint/quote/bolt11/" + id, null).json().path("state").asText()).isEqualTo("ISSUED");
  }

  @Test
  void mintSwapCheckStateAndMeltWithChange() {
    // Proves the full life of ecash: minted proofs verify (DLEQ), swap spends them and charges the NUT-02 fee,
    // check state follows them, and a melt pays an invoice, spends its inputs and returns NUT-08 change.
    TestWallet wallet = mint.wallet("flow");
    List<TestWallet.Held> minted = mint.mint(wallet, 100);
    assertThat(TestWallet.total(minted)).isEqualTo(100);
    assertThat(mint.states(minted)).containsOnly("UNSPENT");

    List<TestWallet.Held> swapped = mint.swap(wallet, minted);
    assertThat(TestWallet.total(swapped)).isEqualTo(100 - MintParameters.inputFee(minted.size()));
    assertThat(mint.states(minted)).containsOnly("SPENT");
    assertThat(mint.states(swapped)).containsOnly("UNSPENT");

    String invoice = mint.lightning.createInvoice(50, "melt", 600).join().bolt11();
    JsonNode quote = mint.ok("POST", "/v1/melt/quote/bolt11", CashuJson.object().put("request", invoice)
        .put("unit", "sat")).json();
    assertThat(quote.path("amount").asLong()).isEqualTo(50);
    assertThat(quote.path("state").asText()).isEqualTo("UNPAID");
    assertThat(quote.path("payment_preimage").isNull()).isTrue();
    long reserve = quote.path("fee_reserve").asLong();
    assertThat(reserve).isEqualTo(MintParameters.feeReserveFloor(50));

    List<TestWallet.Held> inputs = new ArrayList<>(swapped);
    long fee = MintParameters.inputFee(inputs.size());
    long overpaid = TestWallet.total(inputs) - fee - 50;
    assertThat(overpaid).isGreaterThanOrEqualTo(reserve);
    List<TestWallet.Output> blanks = wallet.outputs(0, 0, 0, 0, 0, 0);
    ObjectNode melt = CashuJson.object().put("quote", quote.path("quote").asText());
    melt.set("inputs", TestWallet.proofsJson(inputs));
    melt.set("outputs", TestWallet.outputsJson(blanks));
    JsonNode paid = mint.ok("POST", "/v1/melt/bolt11", melt).json();
    assertThat(paid.path("state").asText()).isEqualTo("PAID");
    byte[] preimage = TestWallet.HEX.parseHex(paid.path("payment_preimage").asText());
    assertThat(Hashes.sha256(preimage)).isEqualTo(Bolt11.decode(invoice).paymentHash());
    List<TestWallet.Held> change = wallet.unblind(blanks, paid.path("change"));
    assertThat(TestWallet.total(change)).isEqualTo(overpaid);
    assertThat(change).extracting(TestWallet.Held::amount).isSorted();
    assertThat(mint.states(inputs)).containsOnly("SPENT");
    assertThat(mint.states(change)).containsOnly("UNSPENT");
    assertThat(mint.ok("GET", "/v1/melt/quote/bolt11/" + quote.path("quote").asText(), null).json()
        .path("state").asText()).isEqualTo("PAID");

    MintAccounting books = mint.accounting();
    assertThat(books.balanced()).isTrue();
    assertThat(books.minted()).isEqualTo(100);
    assertThat(books.melted()).isEqualTo(50);
    assertThat(books.outstanding()).isEqualTo(TestWallet.total(change));
    assertThat(books.feesKept()).isEqualTo(MintParameters.inputFee(minted.size()) + fee);
    assertThat(books.pending()).isZero();
  }

  @Test
  void changeDoesNotExceedTheBlankOutputs() {
    // Proves NUT-08 change fills at most one blank output per denomination, largest pieces first, the rest kept.
    TestWallet wallet = mint.wallet("blanks");
    List<TestWallet.Held> inputs = mint.mint(wallet, 64);
    String invoice = mint.lightning.createInvoice(20, "", 600).join().bolt11();
    JsonNode quote = mint.ok("POST", "/v1/melt/quote/bolt11", CashuJson.object().put("request", invoice)
        .put("unit", "sat")).json();
    List<TestWallet.Output> blanks = wallet.outputs(1);
    ObjectNode melt = CashuJson.object().put("quote", quote.path("quote").asText());
    melt.set("inputs", TestWallet.proofsJson(inputs));
    melt.set("outputs", TestWallet.outputsJson(blanks));
    JsonNode paid = mint.ok("POST", "/v1/melt/bolt11", melt).json();
    // 64 - 1 fee - 20 = 43 = 32 + 8 + 2 + 1; one blank takes the 32.
    assertThat(wallet.unblind(blanks, paid.path("change"))).extracting(TestWallet.Held::amount).containsExactly(32L);
    MintAccounting books = mint.accounting();
    assertThat(books.feesKept()).isEqualTo(1 + 11);
    assertThat(books.balanced()).isTrue();
  }
}
