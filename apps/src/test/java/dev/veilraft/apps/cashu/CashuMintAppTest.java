package dev.veilraft.apps.cashu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.proto.EventResult;
import dev.veilraft.crypto.secp256k1.Bolt11;
import dev.veilraft.state.app.AppHost;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The replicated app as the authority: requests that bypass the front end (anything may arrive
 * in the log) are judged again and refused with "[code] detail", leaving no trace; keys and
 * quote ids come from the group's randomness; the private seed never leaves its record.
 */
class CashuMintAppTest {
  @TempDir Path dir;
  MintHarness mint;
  TestWallet wallet;

  @BeforeEach
  void open() throws Exception {
    mint = new MintHarness(dir);
    wallet = mint.wallet("app");
  }

  @AfterEach
  void close() {
    mint.close();
  }

  /** Commits {@code request} directly, skipping the front end, and expects a refusal with {@code code}. */
  String refusedByApply(byte[] request, int code) throws Exception {
    byte[] before = mint.gateway.stateBytes();
    EventResult result = mint.gateway.apply(CashuMintApp.NAME, request, mint.clock.millis());
    assertThat(result.getStatus()).as("result %s", result).isEqualTo(EventResult.Status.REJECTED);
    assertThat(result.getError()).startsWith("[" + code + "] ");
    assertThat(MintRefusal.fromAppMessage(result.getError()).error().code()).isEqualTo(code);
    assertThat(mint.gateway.stateBytes()).as("state after a refusal").isEqualTo(before);
    return result.getError();
  }

  JsonNode appliedOk(MintRequest request) throws Exception {
    EventResult result = mint.gateway.apply(CashuMintApp.NAME, request.encode(), mint.clock.millis());
    assertThat(result.getStatus()).as("result %s", result.getError()).isEqualTo(EventResult.Status.OK);
    return CashuJson.parseObject(result.getResponse().toByteArray(), "response");
  }

  @Test
  void onlyAMembersFrontEndMayVouchForLightning() throws Exception {
    // Proves that requests stating what a Lightning backend saw (quote created, invoice paid, melt settled) are refused
    // unless a member's front end tagged them: anyone can seal a request to the group key, so an outsider could
    // otherwise mark an unpaid quote paid and mint unbacked ecash.
    JsonNode quote = CashuJson.parseObject(mint.api.handle("POST", "/v1/mint/quote/bolt11", null,
        "{\"amount\":64,\"unit\":\"sat\"}".getBytes(StandardCharsets.UTF_8)).get().body(), "quote");
    String id = quote.get("quote").asText();
    byte[] before = mint.gateway.stateBytes();
    for (String request : List.of("{\"op\":\"mint_quote_paid\",\"quote\":\"" + id + "\"}",
        "{\"op\":\"melt_settle\",\"quote\":\"" + id + "\",\"paid\":false}")) {
      EventResult result = mint.gateway.apply(CashuMintApp.NAME, request.getBytes(StandardCharsets.UTF_8),
          mint.clock.millis(), false);
      assertThat(result.getStatus()).as(request).isEqualTo(EventResult.Status.REJECTED);
      assertThat(result.getError()).as(request).contains("only a member's own front end");
    }
    assertThat(mint.gateway.stateBytes()).isEqualTo(before);
    assertThat(CashuMintApp.vouchesForLightning(new MintRequest.Swap(List.of(), List.of()))).isFalse();
  }

  @Test
  void spendingConditionsAreRecognisedBehindLeadingWhitespace() {
    // Proves a NUT-10 secret is refused (not spent unchecked) even when JSON whitespace precedes its array.
    assertThat(TransactionRules.isSpendingCondition("[\"P2PK\",{\"nonce\":\"00\"}]")).isTrue();
    assertThat(TransactionRules.isSpendingCondition(" \n\t[ \"P2PK\",{}]")).isTrue();
    assertThat(TransactionRules.isSpendingCondition("a plain secret [\"P2PK\"]")).isFalse();
  }

  @Test
  void applyRejudgesRequestsThatSkippedTheFrontEnd() throws Exception {
    // Proves apply refuses, by itself, an unbalanced swap, duplicate inputs, too many outputs, garbage bytes, an
    // unknown operation and a query sent as a request, all without writing.
    List<TestWallet.Held> coins = mint.mint(wallet, 8);
    List<Proof> inputs = coins.stream().map(h -> new Proof(h.amount(), h.keysetId(), h.secret(), h.c())).toList();
    List<BlindedMessage> outputs = wallet.outputs(8).stream()
        .map(o -> new BlindedMessage(o.amount(), o.keysetId(), o.blinded())).toList();
    refusedByApply(new MintRequest.Swap(inputs, outputs).encode(), 11005);
    refusedByApply(new MintRequest.Swap(List.of(inputs.get(0), inputs.get(0)), List.of()).encode(), 11007);
    List<BlindedMessage> many = wallet.outputs(new long[MintParameters.OUTPUTS_MAX + 1]).stream()
        .map(o -> new BlindedMessage(1, o.keysetId(), o.blinded())).toList();
    refusedByApply(new MintRequest.Swap(inputs, many).encode(), 11015);
    refusedByApply(new byte[] {0, 1, 2}, 10000);
    refusedByApply("{\"op\":\"print_money\"}".getBytes(StandardCharsets.UTF_8), 10000);
    refusedByApply(new MintRequest.Accounting().encode(), 10000);
    refusedByApply(new byte[MintParameters.REQUEST_BYTES_MAX + 1], 10000);
  }

  @Test
  void quotesAreCheckedAgainstTheirInvoices() throws Exception {
    // Proves apply decodes the invoice itself: the amount must match, an invoice serves one mint quote, an
    // expired invoice is refused, and a melt quote's fee reserve must lie within the mint's bounds.
    String invoice = mint.lightning.createInvoice(10, "", 600).join().bolt11();
    refusedByApply(new MintRequest.CreateMintQuote(11, invoice).encode(), 10000);
    appliedOk(new MintRequest.CreateMintQuote(10, invoice));
    refusedByApply(new MintRequest.CreateMintQuote(10, invoice).encode(), 10000);
    refusedByApply(new MintRequest.CreateMintQuote(10, "lnbcrt1notaninvoice").encode(), 10000);
    String stale = mint.lightning.createInvoice(5, "", 60).join().bolt11();
    mint.clock.advanceSeconds(61);
    refusedByApply(new MintRequest.CreateMintQuote(5, stale).encode(), 20007);

    String melt = mint.lightning.createInvoice(1000, "", 600).join().bolt11();
    refusedByApply(new MintRequest.CreateMeltQuote(melt, MintParameters.feeReserveFloor(1000) - 1).encode(), 10000);
    refusedByApply(new MintRequest.CreateMeltQuote(melt, MintParameters.feeReserveCeiling(1000) + 1).encode(), 10000);
    JsonNode quote = appliedOk(new MintRequest.CreateMeltQuote(melt, MintParameters.feeReserveCeiling(1000)));
    assertThat(quote.path("fee_reserve").asLong()).isEqualTo(MintParameters.feeReserveCeiling(1000));
    assertThat(quote.path("expiry").asLong()).isEqualTo(mint.clock.millis() / 1000 + MintParameters.MELT_QUOTE_EXPIRY_SECONDS);
  }

  @Test
  void farInvoiceExpiriesNeitherOverflowNorReachState() throws Exception {
    // Proves an invoice expiring in 2^59 s gets a melt quote capped at the melt lifetime, and is refused for a
    // mint quote, so no stored expiry leaves the JSON-safe range a replica can read back.
    byte[] key = dev.veilraft.crypto.secp256k1.Secp256k1.deriveScalar(Hashes.sha256(Hashes.utf8("far node")),
        "test/node", new byte[0]);
    String far = Bolt11.encode(new Bolt11.Invoice("bcrt", 10_000L, mint.clock.millis() / 1000,
        Hashes.sha256(Hashes.utf8("far")), Hashes.sha256(Hashes.utf8("far secret")), "", 1L << 59, null), key);
    refusedByApply(new MintRequest.CreateMintQuote(10, far).encode(), 10000);
    JsonNode quote = appliedOk(new MintRequest.CreateMeltQuote(far, MintParameters.feeReserveFloor(10)));
    assertThat(quote.path("expiry").asLong()).isEqualTo(mint.clock.millis() / 1000 + MintParameters.MELT_QUOTE_EXPIRY_SECONDS);
    assertThat(mint.ok("GET", "/v1/melt/quote/bolt11/" + quote.path("quote").asText(), null).json()).isEqualTo(quote);
  }

  @Test
  void settlementsAreCheckedAgainstTheQuote() throws Exception {
    // Proves a settlement needs a PENDING quote, a fee within the reserve, and that repeating "paid" is harmless.
    List<TestWallet.Held> coins = mint.mint(wallet, 32);
    String invoice = mint.lightning.createInvoice(10, "", 600).join().bolt11();
    String quote = appliedOk(new MintRequest.CreateMeltQuote(invoice, MintParameters.feeReserveFloor(10)))
        .path("quote").asText();
    String preimage = "11".repeat(32);
    refusedByApply(MintRequest.SettleMelt.paid(quote, preimage, 0).encode(), 10000);
    refusedByApply(MintRequest.SettleMelt.paid("0190f5a0-0000-7000-8000-000000000000", preimage, 0).encode(),
        20000);
    List<Proof> inputs = coins.stream().map(h -> new Proof(h.amount(), h.keysetId(), h.secret(), h.c())).toList();
    assertThat(appliedOk(new MintRequest.LockMelt(quote, inputs, List.of())).path("state").asText())
        .isEqualTo("PENDING");
    refusedByApply(MintRequest.SettleMelt.paid(quote, preimage, MintParameters.feeReserveFloor(10) + 1).encode(),
        10000);
    JsonNode paid = appliedOk(MintRequest.SettleMelt.paid(quote, preimage, 1));
    assertThat(paid.path("state").asText()).isEqualTo("PAID");
    assertThat(appliedOk(MintRequest.SettleMelt.paid(quote, preimage, 1))).isEqualTo(paid);
    refusedByApply(MintRequest.SettleMelt.unpaid(quote, MintRequest.Unpaid.PAYMENT_FAILED).encode(), 10000);
    MintAccounting books = mint.accounting();
    assertThat(books.melted()).isEqualTo(11);
    assertThat(books.outstanding()).isZero();
    assertThat(books.feesKept()).isEqualTo(32 - 11);
    assertThat(books.balanced()).isTrue();
  }

  @Test
  void aPaymentNoBackendKnowsIsGivenUpOnlyByTheLeadersTime() throws Exception {
    // Proves a member whose host clock runs ahead cannot release a melt another member may still be paying:
    // "unknown after expiry" is refused (20005, inputs stay PENDING) until the leader's time passes the
    // invoice's expiry plus the grace, and then releases the inputs with the books still balanced.
    List<TestWallet.Held> coins = mint.mint(wallet, 16);
    String invoice = mint.lightning.createInvoice(10, "", 600).join().bolt11();
    String quote = appliedOk(new MintRequest.CreateMeltQuote(invoice, MintParameters.feeReserveFloor(10)))
        .path("quote").asText();
    List<Proof> inputs = coins.stream().map(h -> new Proof(h.amount(), h.keysetId(), h.secret(), h.c())).toList();
    appliedOk(new MintRequest.LockMelt(quote, inputs, List.of()));
    MintRequest giveUp = MintRequest.SettleMelt.unpaid(quote, MintRequest.Unpaid.UNKNOWN_AFTER_EXPIRY);
    refusedByApply(giveUp.encode(), 20005);
    mint.clock.advanceSeconds(600 + MintParameters.UNKNOWN_PAYMENT_GRACE_SECONDS - 1);
    refusedByApply(giveUp.encode(), 20005);
    mint.clock.advanceSeconds(2);
    assertThat(appliedOk(giveUp).path("state").asText()).isEqualTo("UNPAID");
    assertThat(mint.accounting().balanced()).isTrue();
    assertThat(mint.accounting().outstanding()).isEqualTo(16);
  }

  @Test
  void anUnpaidSettlementNamesItsReason() throws Exception {
    // Proves the wire form: an unpaid settlement carries its reason, one without a reason (written before
    // reasons existed) reads as a failed payment, and an unknown reason is refused naming the field.
    String quote = "0190f5a0-0000-7000-8000-000000000000";
    assertThat(MintRequest.decode(MintRequest.SettleMelt.unpaid(quote, MintRequest.Unpaid.UNKNOWN_AFTER_EXPIRY)
        .encode())).isEqualTo(MintRequest.SettleMelt.unpaid(quote, MintRequest.Unpaid.UNKNOWN_AFTER_EXPIRY));
    byte[] legacy = ("{\"op\":\"melt_settle\",\"quote\":\"" + quote + "\",\"paid\":false}")
        .getBytes(StandardCharsets.UTF_8);
    assertThat(MintRequest.decode(legacy)).isEqualTo(MintRequest.SettleMelt.unpaid(quote, MintRequest.Unpaid.PAYMENT_FAILED));
    byte[] odd = ("{\"op\":\"melt_settle\",\"quote\":\"" + quote + "\",\"paid\":false,\"reason\":\"bored\"}")
        .getBytes(StandardCharsets.UTF_8);
    assertThatThrownBy(() -> MintRequest.decode(odd)).hasMessageContaining("reason").hasMessageContaining("bored");
  }

  @Test
  void quoteIdsAreUuidV7FromLeaderTimeAndGroupRandomness() throws Exception {
    // Proves quote ids are distinct UUID v7 whose time field is the entry's leader time.
    String invoiceA = mint.lightning.createInvoice(1, "", 600).join().bolt11();
    String invoiceB = mint.lightning.createInvoice(1, "", 600).join().bolt11();
    String a = appliedOk(new MintRequest.CreateMintQuote(1, invoiceA)).path("quote").asText();
    String b = appliedOk(new MintRequest.CreateMintQuote(1, invoiceB)).path("quote").asText();
    assertThat(a).matches(MintRequest.QUOTE_ID.pattern()).isNotEqualTo(b);
    long time = Long.parseLong(a.replace("-", "").substring(0, 12), 16);
    assertThat(time).isEqualTo(mint.clock.millis());
  }

  @Test
  void theSeedStaysInItsRecordAndKeysDeriveFromIt() throws Exception {
    // Proves the keyset is the NUT-02 derivation of the stored seed, that setup is idempotent, and that no
    // response or other record contains the seed.
    byte[] seed = mint.gateway.store().get(AppHost.namespace(CashuMintApp.NAME), "seed".getBytes(StandardCharsets.US_ASCII))
        .orElseThrow();
    Keyset derived = Keyset.derive(seed, 0);
    assertThat(derived.id()).isEqualTo(wallet.keysetId);
    assertThat(derived.keys()).allSatisfy((amount, key) -> assertThat(key).isEqualTo(wallet.keys.get(amount)));
    JsonNode again = appliedOk(new MintRequest.Setup());
    assertThat(again.path("keysets").get(0).path("id").asText()).isEqualTo(wallet.keysetId);
    String seedHex = Hashes.hex(seed);
    mint.mint(wallet, 3);
    for (EventResult result : mint.gateway.results()) {
      assertThat(Hashes.hex(result.getResponse().toByteArray())).doesNotContain(seedHex);
      assertThat(result.getResponse().toStringUtf8()).doesNotContain(seedHex);
    }
    Map<String, byte[]> records = new TreeMap<>();
    mint.gateway.store().exportRecords((namespace, key, value) -> records.put(new String(key, StandardCharsets.ISO_8859_1),
        value));
    records.forEach((key, value) -> {
      if (!key.equals("seed")) {
        assertThat(Hashes.hex(value)).as("record %s", key).doesNotContain(seedHex);
      }
    });
  }

  @Test
  void keysetIdV1MatchesTheNut02TestVector() {
    // Proves the v1 keyset id derivation on the first vector of cashubtc/nuts tests/02-tests.md ("Version 1").
    HexFormat hex = HexFormat.of();
    Map<Long, byte[]> keys = new TreeMap<>(Map.of(
        1L, hex.parseHex("03a40f20667ed53513075dc51e715ff2046cad64eb68960632269ba7f0210e38bc"),
        2L, hex.parseHex("03fd4ce5a16b65576145949e6f99f445f8249fee17c606b688b504a849cdc452de"),
        4L, hex.parseHex("02648eccfa4c026960966276fa5a4cae46ce0fd432211a4f449bf84f13aa5f8303"),
        8L, hex.parseHex("02fdfd6796bfeac490cbee12f778f867f0a2c68f6508d17c649759ea0dc3547528")));
    assertThat(Keyset.idV1(keys)).isEqualTo("00456a94ab4e1c46");
  }

  @Test
  void refusalsRoundTripThroughTheAppMessage() {
    // Proves the "[code] detail" message format carries every mint error back to the front end, and that
    // other layers' messages are not mistaken for one.
    for (MintError error : MintError.values()) {
      MintRefusal back = MintRefusal.fromAppMessage(new MintRefusal(error, "why: [x]\nmore").toAppMessage());
      assertThat(back.error()).isEqualTo(error);
      assertThat(back.detail()).isEqualTo("why: [x]\nmore");
    }
    assertThat(MintRefusal.fromAppMessage("PENDING_LIMIT: client has 128 unacknowledged requests")).isNull();
    assertThat(MintRefusal.fromAppMessage("[99999] no such code")).isNull();
    assertThat(MintRefusal.fromAppMessage(null)).isNull();
  }

  @Test
  void mintQuoteInvoicesAreRealBolt11FromTheFakeNode() {
    // Proves the FAKE backend's invoices decode, are signed by its fixed test key, and that it pays its own
    // invoices with the true preimage and foreign ones with a fake one.
    LightningBackend.CreatedInvoice created = mint.lightning.createInvoice(7, "x", 60).join();
    Bolt11.Invoice invoice = Bolt11.decode(created.bolt11());
    assertThat(invoice.payeeNodeKey()).isEqualTo(FakeLightningBackend.nodeKey());
    assertThat(invoice.paymentHash()).isEqualTo(created.paymentHash());
    assertThat(mint.lightning.isInvoicePaid(created.bolt11(), created.paymentHash()).join()).isTrue();
    LightningBackend.Payment own = mint.lightning.pay(created.bolt11(), 7, 0).join();
    assertThat(Hashes.sha256(HexFormat.of().parseHex(own.preimageHex()))).isEqualTo(created.paymentHash());
    byte[] otherKey = dev.veilraft.crypto.secp256k1.Secp256k1.deriveScalar(Hashes.sha256(Hashes.utf8("other node")),
        "test/node", new byte[0]);
    String foreign = Bolt11.encode(new Bolt11.Invoice("bcrt", 5000L, mint.clock.millis() / 1000,
        Hashes.sha256(Hashes.utf8("h")), Hashes.sha256(Hashes.utf8("s")), "", 60, null), otherKey);
    assertThat(mint.lightning.isInvoicePaid(foreign, Hashes.sha256(Hashes.utf8("h"))).join()).isFalse();
    LightningBackend.Payment paid = mint.lightning.pay(foreign, 5, 0).join();
    assertThat(paid.status()).isEqualTo(LightningBackend.Status.PAID);
    assertThat(Hashes.sha256(HexFormat.of().parseHex(paid.preimageHex()))).isNotEqualTo(Hashes.sha256(Hashes.utf8("h")));
    assertThat(mint.lightning.pay("lnbc1nonsense", 5, 0).join().status()).isEqualTo(LightningBackend.Status.FAILED);
  }
}
