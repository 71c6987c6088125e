package dev.veilraft.apps.cashu;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Melting around an unreliable Lightning node: failed payments release the inputs, unknown
 * outcomes keep them PENDING until a later state check settles them, a pending quote or invoice
 * cannot be paid twice, and expired quotes are refused.
 */
class CashuMeltTest {
  @TempDir Path dir;
  MintHarness mint;
  ScriptedLightning lightning;
  TestWallet wallet;

  @BeforeEach
  void open() throws Exception {
    mint = new MintHarness(dir, ScriptedLightning::new);
    lightning = (ScriptedLightning) mint.lightning;
    wallet = mint.wallet("melts");
  }

  @AfterEach
  void close() {
    mint.close();
  }

  String meltQuote(long amount) {
    String invoice = lightning.createInvoice(amount, "", 3600).join().bolt11();
    return mint.ok("POST", "/v1/melt/quote/bolt11", CashuJson.object().put("request", invoice).put("unit", "sat"))
        .json().path("quote").asText();
  }

  ObjectNode meltBody(String quote, List<TestWallet.Held> inputs) {
    ObjectNode body = CashuJson.object().put("quote", quote);
    body.set("inputs", TestWallet.proofsJson(inputs));
    body.set("outputs", TestWallet.outputsJson(wallet.outputs(0, 0)));
    return body;
  }

  @Test
  void failedPaymentReleasesTheInputs() {
    // Proves a payment the backend reports failed answers 20004 and leaves the inputs UNSPENT and the quote UNPAID.
    List<TestWallet.Held> coins = mint.mint(wallet, 16);
    String quote = meltQuote(10);
    lightning.payOutcome = ScriptedLightning.Outcome.FAILED;
    MintHarness.Answer failed = mint.call("POST", "/v1/melt/bolt11", meltBody(quote, coins));
    assertThat(failed.status()).isEqualTo(400);
    assertThat(failed.code()).isEqualTo(20004);
    assertThat(mint.states(coins)).containsOnly("UNSPENT");
    assertThat(mint.ok("GET", "/v1/melt/quote/bolt11/" + quote, null).json().path("state").asText()).isEqualTo("UNPAID");
    MintAccounting books = mint.accounting();
    assertThat(books.pending()).isZero();
    assertThat(books.outstanding()).isEqualTo(16);

    lightning.payOutcome = ScriptedLightning.Outcome.PAID;
    assertThat(mint.ok("POST", "/v1/melt/bolt11", meltBody(quote, coins)).json().path("state").asText())
        .isEqualTo("PAID");
    assertThat(mint.accounting().balanced()).isTrue();
  }

  @Test
  void unknownOutcomeStaysPendingUntilAStateCheckSettlesIt() {
    // Proves an unreachable backend leaves the melt PENDING (inputs PENDING, unspendable), and the next quote
    // check on another front end asks the backend and settles it.
    List<TestWallet.Held> coins = mint.mint(wallet, 16);
    String quote = meltQuote(10);
    lightning.payOutcome = ScriptedLightning.Outcome.UNREACHABLE;
    JsonNode pending = mint.ok("POST", "/v1/melt/bolt11", meltBody(quote, coins)).json();
    assertThat(pending.path("state").asText()).isEqualTo("PENDING");
    assertThat(mint.states(coins)).containsOnly("PENDING");
    MintHarness.Answer swap = mint.call("POST", "/v1/swap", TestWallet.swapBody(coins, wallet.outputsFor(15)));
    assertThat(swap.code()).isEqualTo(11002);
    MintHarness.Answer again = mint.call("POST", "/v1/melt/bolt11", meltBody(quote, coins));
    assertThat(again.code()).isEqualTo(20005);
    assertThat(mint.accounting().pending()).isEqualTo(16);

    lightning.statusOutcome = ScriptedLightning.Outcome.PENDING;
    assertThat(MintHarness.call(mint.secondFrontEnd(), "GET", "/v1/melt/quote/bolt11/" + quote, null).json()
        .path("state").asText()).isEqualTo("PENDING");
    lightning.statusOutcome = ScriptedLightning.Outcome.PAID;
    lightning.feeSat = 1;
    JsonNode settled = MintHarness.call(mint.secondFrontEnd(), "GET", "/v1/melt/quote/bolt11/" + quote, null).json();
    assertThat(settled.path("state").asText()).isEqualTo("PAID");
    assertThat(settled.path("payment_preimage").asText()).hasSize(64);
    assertThat(mint.states(coins)).containsOnly("SPENT");
    MintAccounting books = mint.accounting();
    assertThat(books.melted()).isEqualTo(11);
    assertThat(books.balanced()).isTrue();
  }

  @Test
  void aPaymentNeverMadeIsReleasedOnceItsInvoiceExpired() {
    // Proves a melt whose payer died before paying (the node knows no such payment) stays PENDING while the
    // invoice could still be paid, and is released (inputs UNSPENT) once the invoice expired.
    List<TestWallet.Held> coins = mint.mint(wallet, 16);
    String quote = meltQuote(10);
    lightning.payOutcome = ScriptedLightning.Outcome.UNREACHABLE;
    mint.ok("POST", "/v1/melt/bolt11", meltBody(quote, coins));
    lightning.statusOutcome = ScriptedLightning.Outcome.UNKNOWN;
    assertThat(mint.ok("GET", "/v1/melt/quote/bolt11/" + quote, null).json().path("state").asText())
        .isEqualTo("PENDING");
    mint.clock.advanceSeconds(3600 + MintParameters.UNKNOWN_PAYMENT_GRACE_SECONDS + 1);
    assertThat(mint.ok("GET", "/v1/melt/quote/bolt11/" + quote, null).json().path("state").asText())
        .isEqualTo("UNPAID");
    assertThat(mint.states(coins)).containsOnly("UNSPENT");
    assertThat(mint.accounting().pending()).isZero();
  }

  @Test
  void anInvoiceIsPaidOnlyOnce() {
    // Proves a second melt quote for a paid invoice is refused with 20006, and so is melting a paid quote.
    List<TestWallet.Held> coins = mint.mint(wallet, 32);
    String invoice = lightning.createInvoice(10, "", 3600).join().bolt11();
    ObjectNode quoteRequest = CashuJson.object().put("request", invoice).put("unit", "sat");
    String first = mint.ok("POST", "/v1/melt/quote/bolt11", quoteRequest).json().path("quote").asText();
    String second = mint.ok("POST", "/v1/melt/quote/bolt11", quoteRequest).json().path("quote").asText();
    mint.ok("POST", "/v1/melt/bolt11", meltBody(first, coins));
    List<TestWallet.Held> more = mint.mint(wallet, 32);
    assertThat(mint.call("POST", "/v1/melt/bolt11", meltBody(second, more)).code()).isEqualTo(20006);
    assertThat(mint.call("POST", "/v1/melt/bolt11", meltBody(first, more)).code()).isEqualTo(20006);
    assertThat(mint.call("POST", "/v1/melt/quote/bolt11", quoteRequest).code()).isEqualTo(20006);
    assertThat(mint.states(more)).containsOnly("UNSPENT");
  }

  @Test
  void insufficientInputsAndExpiredQuotesAreRefused() {
    // Proves a melt must cover amount + fee reserve + input fee (11005) and an expired quote is refused (20007).
    List<TestWallet.Held> coins = mint.mint(wallet, 12);
    String quote = meltQuote(10);
    assertThat(mint.call("POST", "/v1/melt/bolt11", meltBody(quote, coins)).code()).isEqualTo(11005);
    mint.clock.advanceSeconds(MintParameters.MELT_QUOTE_EXPIRY_SECONDS);
    List<TestWallet.Held> enough = mint.mint(wallet, 64);
    assertThat(mint.call("POST", "/v1/melt/bolt11", meltBody(quote, enough)).code()).isEqualTo(20007);
    assertThat(mint.states(enough)).containsOnly("UNSPENT");
  }

  @Test
  void anUnpaidMintQuoteExpires() {
    // Proves a mint quote whose invoice was never paid answers 20001 while valid and 20007 after its expiry,
    // and that a payment the backend reports later still counts.
    lightning.invoicesPaid = false;
    String quote = mint.ok("POST", "/v1/mint/quote/bolt11", CashuJson.object().put("amount", 8).put("unit", "sat"))
        .json().path("quote").asText();
    ObjectNode request = CashuJson.object().put("quote", quote);
    request.set("outputs", TestWallet.outputsJson(wallet.outputs(8)));
    assertThat(mint.call("POST", "/v1/mint/bolt11", request).code()).isEqualTo(20001);
    mint.clock.advanceSeconds(MintParameters.MINT_QUOTE_EXPIRY_SECONDS);
    assertThat(mint.call("POST", "/v1/mint/bolt11", request).code()).isEqualTo(20007);
    lightning.invoicesPaid = true;
    assertThat(mint.ok("POST", "/v1/mint/bolt11", request).json().path("signatures")).hasSize(1);
  }

  @Test
  void longExpiredUnpaidQuotesAreForgottenAndPaidOnesKept() {
    // Proves quotes that expired unpaid more than the retention ago are pruned when new quotes come (a bounded
    // few per new quote), while a paid-but-unissued mint quote and a paid melt quote stay.
    String paidMint = mint.paidQuote(16);
    List<TestWallet.Held> coins = mint.mint(wallet, 16);
    String paidMelt = meltQuote(5);
    mint.ok("POST", "/v1/melt/bolt11", meltBody(paidMelt, coins));
    lightning.invoicesPaid = false;
    String unpaidMint = mint.ok("POST", "/v1/mint/quote/bolt11", CashuJson.object().put("amount", 5).put("unit", "sat"))
        .json().path("quote").asText();
    String unpaidMelt = meltQuote(5);
    mint.clock.advanceSeconds(MintParameters.MINT_QUOTE_EXPIRY_SECONDS + MintParameters.QUOTE_RETENTION_SECONDS);
    assertThat(mint.ok("GET", "/v1/mint/quote/bolt11/" + unpaidMint, null).json().path("state").asText())
        .as("not pruned before a new quote comes").isEqualTo("UNPAID");
    // Five expiry entries are due; each new quote looks at QUOTES_PRUNED_PER_ENTRY_MAX (4) of them.
    meltQuote(1);
    meltQuote(1);
    assertThat(mint.call("GET", "/v1/mint/quote/bolt11/" + unpaidMint, null).code()).isEqualTo(20000);
    assertThat(mint.call("GET", "/v1/melt/quote/bolt11/" + unpaidMelt, null).code()).isEqualTo(20000);
    assertThat(mint.ok("GET", "/v1/mint/quote/bolt11/" + paidMint, null).json().path("state").asText())
        .isEqualTo("PAID");
    assertThat(mint.ok("GET", "/v1/melt/quote/bolt11/" + paidMelt, null).json().path("state").asText())
        .isEqualTo("PAID");
    assertThat(mint.accounting().paidUnissued()).isEqualTo(16);
    assertThat(mint.accounting().balanced()).isTrue();
  }

  @Test
  void preferAsyncAnswersPendingAndPaysInTheBackground() {
    // Proves prefer_async answers with the PENDING quote at once; the quote is PAID when checked afterwards.
    List<TestWallet.Held> coins = mint.mint(wallet, 16);
    String quote = meltQuote(10);
    ObjectNode body = meltBody(quote, coins).put("prefer_async", true);
    assertThat(mint.ok("POST", "/v1/melt/bolt11", body).json().path("state").asText()).isEqualTo("PENDING");
    assertThat(mint.ok("GET", "/v1/melt/quote/bolt11/" + quote, null).json().path("state").asText())
        .isEqualTo("PAID");
  }
}
