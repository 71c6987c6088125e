package dev.veilraft.apps.cashu;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veilraft.crypto.secp256k1.Bolt11;
import dev.veilraft.state.StateException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The apply side of melting (NUT-05, NUT-08, NUT-23). A melt is two committed requests around
 * one Lightning payment that happens outside apply: {@link #lock} makes the inputs PENDING for
 * the quote (so no other request can spend them while the payment is in flight), the front end
 * pays, and {@link #settle} records the outcome: paid spends the inputs and signs the NUT-08
 * change into the blank outputs; failed makes the inputs spendable again. Only the request that
 * moved a quote to PENDING leads its front end to pay, so an invoice is paid at most once.
 */
final class MeltLedger {
  private final MintLedger ledger;
  private final MintStore store;

  MeltLedger(MintLedger ledger) {
    this.ledger = ledger;
    this.store = ledger.store;
  }

  /** Records a melt quote for an invoice with an amount, within the fee-reserve bounds. */
  ObjectNode createQuote(MintRequest.CreateMeltQuote request) throws MintRefusal, StateException {
    Bolt11.Invoice invoice = MintLedger.decodeInvoice(request.invoice());
    if (invoice.amountMsat() == null) {
      throw new MintRefusal(MintError.AMOUNTLESS_INVOICE, "the invoice has no amount");
    }
    long amount = (invoice.amountMsat() + 999) / 1000;
    if (amount < MintParameters.MELT_AMOUNT_MIN || amount > MintParameters.MELT_AMOUNT_MAX) {
      throw new MintRefusal(MintError.AMOUNT_OUT_OF_RANGE, "melt amount " + amount + " is outside "
          + MintParameters.MELT_AMOUNT_MIN + ".." + MintParameters.MELT_AMOUNT_MAX);
    }
    long floor = MintParameters.feeReserveFloor(amount);
    long ceiling = MintParameters.feeReserveCeiling(amount);
    if (request.feeReserve() < floor || request.feeReserve() > ceiling) {
      throw CashuJson.malformed("fee reserve " + request.feeReserve() + " is outside " + floor + ".." + ceiling
          + " for " + amount + " sat");
    }
    long invoiceExpiry = MintLedger.invoiceExpiry(invoice);
    if (ledger.expired(invoiceExpiry)) {
      throw new MintRefusal(MintError.QUOTE_EXPIRED, "the invoice expired at " + invoiceExpiry);
    }
    refuseIfInvoiceTaken(invoice.paymentHash(), null);
    long expiry = Math.min(invoiceExpiry, ledger.context.leaderTimeMs() / 1000 + MintParameters.MELT_QUOTE_EXPIRY_SECONDS);
    MeltQuote quote = MeltQuote.unpaid(ledger.newQuoteId(), request.invoice(), invoice.paymentHash(), amount,
        request.feeReserve(), expiry);
    ledger.pruneExpiredQuotes();
    store.putMeltQuote(quote);
    store.putQuoteExpiry(expiry + MintParameters.QUOTE_RETENTION_SECONDS, MintStore.MELT_KIND, quote.id());
    return quote.toJson();
  }

  /** Locks the inputs (and reserves the blank outputs) for an unpaid, unexpired quote. */
  ObjectNode lock(MintRequest.LockMelt request) throws MintRefusal, StateException {
    MeltQuote quote = meltQuote(request.quote());
    switch (quote.state()) {
      case PENDING -> throw new MintRefusal(MintError.QUOTE_PENDING, "the quote is being paid");
      case PAID -> throw new MintRefusal(MintError.INVOICE_PAID, "the quote's invoice is paid already");
      case UNPAID -> { }
    }
    if (ledger.expired(quote.expiry())) {
      throw new MintRefusal(MintError.QUOTE_EXPIRED, "the quote expired at " + quote.expiry());
    }
    refuseIfInvoiceTaken(quote.paymentHash(), quote.id());
    Map<String, Keyset> keysets = ledger.keysets();
    TransactionRules.checkInputs(request.inputs(), keysets);
    TransactionRules.checkOutputs(request.outputs(), keysets, true);
    long in = TransactionRules.inputTotal(request.inputs());
    long fee = MintParameters.inputFee(request.inputs().size());
    long needed = Math.addExact(quote.amount(), quote.feeReserve());
    if (in - fee < needed) {
      throw new MintRefusal(MintError.UNBALANCED, "inputs " + in + " minus input fee " + fee + " is " + (in - fee)
          + ", the quote needs " + quote.amount() + " plus fee reserve " + quote.feeReserve() + " = " + needed);
    }
    List<byte[]> ys = ledger.checkSpendable(request.inputs());
    ledger.checkOutputsFree(request.outputs());
    MintSigner signer = ledger.signer();
    try {
      ledger.verifyProofs(signer, keysets, request.inputs());
    } finally {
      signer.close();
    }
    ys.forEach(y -> store.markPending(y, quote.id()));
    request.outputs().forEach(o -> store.reserveOutput(o.blinded(), quote.id()));
    MeltQuote pending = quote.pending(ys, in, fee, request.outputs());
    store.putMeltQuote(pending);
    store.putMeltOfInvoice(quote.paymentHash(), quote.id());
    store.putAccounting(store.accounting().locked(in));
    return pending.toJson();
  }

  /** Records the payment's outcome for a pending quote; a repeated "paid" for a paid quote answers the same. */
  ObjectNode settle(MintRequest.SettleMelt request) throws MintRefusal, StateException {
    MeltQuote quote = meltQuote(request.quote());
    if (quote.state() == MeltQuote.State.PAID && request.paid()) {
      return quote.toJson();
    }
    if (quote.state() != MeltQuote.State.PENDING) {
      throw CashuJson.malformed("the melt quote is " + quote.state() + ", not PENDING: nothing to settle");
    }
    if (!request.paid()) {
      if (request.unpaid() == MintRequest.Unpaid.UNKNOWN_AFTER_EXPIRY) {
        long invoiceExpiry = MintLedger.invoiceExpiry(Bolt11.decode(quote.request()));
        long givenUpAt = invoiceExpiry > Long.MAX_VALUE - MintParameters.UNKNOWN_PAYMENT_GRACE_SECONDS
            ? Long.MAX_VALUE : invoiceExpiry + MintParameters.UNKNOWN_PAYMENT_GRACE_SECONDS;
        if (!ledger.expired(givenUpAt)) {
          throw new MintRefusal(MintError.QUOTE_PENDING, "the invoice of melt quote " + quote.id()
              + " may still be paid until " + givenUpAt + " (leader time " + ledger.context.leaderTimeMs() / 1000
              + "): a payment no backend knows is given up only then");
        }
      }
      quote.inputYs().forEach(store::unmarkProof);
      quote.blankOutputs().forEach(o -> store.releaseOutput(o.blinded()));
      store.deleteMeltOfInvoice(quote.paymentHash());
      store.putAccounting(store.accounting().released(quote.inputAmount()));
      MeltQuote released = quote.released();
      store.putMeltQuote(released);
      // Unpaid again: forgettable again once long expired (its entry may have gone while it was pending).
      store.putQuoteExpiry(quote.expiry() + MintParameters.QUOTE_RETENTION_SECONDS, MintStore.MELT_KIND, quote.id());
      return released.toJson();
    }
    if (request.feePaid() > quote.feeReserve()) {
      throw CashuJson.malformed("the Lightning fee " + request.feePaid() + " exceeds the fee reserve "
          + quote.feeReserve() + "; the backend must never pay more than the reserve");
    }
    long paidOut = quote.amount() + request.feePaid();
    long changeDue = quote.inputAmount() - quote.inputFee() - paidOut;
    List<BlindSignature> change = signChange(quote, changeDue);
    long changeSigned = change.stream().mapToLong(BlindSignature::amount).sum();
    quote.inputYs().forEach(store::markSpent);
    store.putAccounting(store.accounting().meltPaid(quote.inputAmount(), paidOut, changeSigned));
    MeltQuote paid = quote.paid(request.preimage(), request.feePaid(), change);
    store.putMeltQuote(paid);
    return paid.toJson();
  }

  /**
   * NUT-08: splits {@code due} into denominations, largest first, at most one per blank output,
   * and signs them into the blank outputs in their order, smallest amount first. What does not fit
   * (too few blanks) stays with the mint. Unused blanks are released.
   */
  private List<BlindSignature> signChange(MeltQuote quote, long due) throws MintRefusal, StateException {
    List<BlindedMessage> blanks = quote.blankOutputs();
    List<Long> pieces = new ArrayList<>();
    long remaining = due;
    long largest = 1L << MintParameters.AMOUNT_EXPONENT_MAX;
    while (remaining > 0 && pieces.size() < blanks.size()) {
      long piece = Math.min(largest, Long.highestOneBit(remaining));
      pieces.add(piece);
      remaining -= piece;
    }
    pieces.sort(Comparator.naturalOrder());
    Map<String, Keyset> keysets = ledger.keysets();
    List<BlindSignature> signatures = new ArrayList<>(pieces.size());
    MintSigner signer = pieces.isEmpty() ? null : ledger.signer();
    try {
      for (int i = 0; i < blanks.size(); i++) {
        BlindedMessage blank = blanks.get(i);
        store.releaseOutput(blank.blinded());
        if (i < pieces.size()) {
          signatures.addAll(ledger.signAll(signer, keysets, List.of(blank.withAmount(pieces.get(i)))));
        }
      }
    } finally {
      if (signer != null) {
        signer.close();
      }
    }
    return signatures;
  }

  /** Refuses a quote for an invoice another melt quote is paying or has paid. */
  private void refuseIfInvoiceTaken(byte[] paymentHash, String exceptQuote) throws MintRefusal, StateException {
    Optional<String> other = store.meltOfInvoice(paymentHash);
    if (other.isEmpty() || other.get().equals(exceptQuote)) {
      return;
    }
    MeltQuote otherQuote = meltQuote(other.get());
    if (otherQuote.state() == MeltQuote.State.PAID) {
      throw new MintRefusal(MintError.INVOICE_PAID, "the invoice was paid by another melt quote");
    }
    if (otherQuote.state() == MeltQuote.State.PENDING) {
      throw new MintRefusal(MintError.QUOTE_PENDING, "another melt quote is paying this invoice");
    }
  }

  MeltQuote meltQuote(String id) throws MintRefusal, StateException {
    return store.meltQuote(id).orElseThrow(() -> new MintRefusal(MintError.QUOTE_NOT_FOUND,
        "no melt quote with this id"));
  }
}
