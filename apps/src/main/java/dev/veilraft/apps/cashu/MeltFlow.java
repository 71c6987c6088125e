package dev.veilraft.apps.cashu;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veilraft.apps.HttpAnswer;
import dev.veilraft.crypto.secp256k1.Bolt11;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The front end's half of melting (NUT-05/08/23): quote with a fee reserve from the Lightning
 * backend's estimate, commit the lock, pay, commit the outcome. Only the front end whose lock
 * request moved the quote to PENDING pays, so two wallets (or two nodes) racing on one quote
 * cannot pay an invoice twice. If the outcome cannot be learned or committed, the quote stays
 * PENDING and the next state check on any node asks its backend and settles it.
 */
final class MeltFlow {
  private static final Logger log = LoggerFactory.getLogger(MeltFlow.class);

  private final MintClient mint;
  private final LightningBackend lightning;
  private final java.time.Clock clock;
  /** Melt quotes this node is paying right now: a state check leaves them to the payer. */
  private final Set<String> paying = ConcurrentHashMap.newKeySet();

  MeltFlow(MintClient mint, LightningBackend lightning, java.time.Clock clock) {
    this.mint = mint;
    this.lightning = lightning;
    this.clock = clock;
  }

  /** NUT-05/23 melt quote. */
  CompletableFuture<HttpAnswer> createQuote(ObjectNode body) throws MintRefusal {
    CashuHttpApi.requireSat(body);
    String request = CashuJson.string(body, "request", "request", MintParameters.INVOICE_CHARS_MAX);
    if (!CashuJson.absent(body, "options") && !CashuJson.absent(body.get("options"), "amountless")) {
      throw new MintRefusal(MintError.AMOUNTLESS_INVOICE, "this mint pays only invoices that carry an amount");
    }
    Bolt11.Invoice invoice = MintLedger.decodeInvoice(request);
    if (!lightning.network().equals(invoice.network())) {
      throw CashuJson.malformed("the invoice is for network '" + invoice.network() + "'; this mint pays on '"
          + lightning.network() + "'");
    }
    if (invoice.amountMsat() == null) {
      throw new MintRefusal(MintError.AMOUNTLESS_INVOICE, "the invoice has no amount");
    }
    long amount = (invoice.amountMsat() + 999) / 1000;
    if (amount < MintParameters.MELT_AMOUNT_MIN || amount > MintParameters.MELT_AMOUNT_MAX) {
      throw new MintRefusal(MintError.AMOUNT_OUT_OF_RANGE, "melt amount " + amount + " is outside "
          + MintParameters.MELT_AMOUNT_MIN + ".." + MintParameters.MELT_AMOUNT_MAX);
    }
    return lightning.estimateFee(request, amount).copy()
        .orTimeout(LightningBackend.CALL_TIMEOUT_SECONDS, TimeUnit.SECONDS)
        .exceptionally(failure -> {
          log.warn("Lightning backend could not estimate a fee; using the minimum reserve: {}",
              MintClient.unwrap(failure).toString());
          return 0L;
        })
        .thenCompose(estimate -> {
          long reserve = Math.min(MintParameters.feeReserveCeiling(amount),
              Math.max(MintParameters.feeReserveFloor(amount), estimate));
          return mint.submit(new MintRequest.CreateMeltQuote(request, reserve));
        })
        .thenApply(CashuHttpApi::ok);
  }

  /** NUT-05 melt: lock, pay, settle; with {@code prefer_async} the answer is the PENDING quote. */
  CompletableFuture<HttpAnswer> melt(ObjectNode body) throws MintRefusal {
    String quote = MintRequest.quoteId(body, "request");
    List<Proof> inputs = CashuJson.proofs(body, "inputs", "request");
    List<BlindedMessage> outputs = CashuJson.absent(body, "outputs") ? List.of()
        : CashuJson.outputs(body, "outputs", "request");
    boolean preferAsync = !CashuJson.absent(body, "prefer_async") && CashuJson.bool(body, "prefer_async", "request");
    MintRequest.LockMelt lock = new MintRequest.LockMelt(quote, inputs, outputs);
    CashuHttpApi.checkSize(lock);
    return mint.keys(false).thenCompose(view -> {
      try {
        TransactionRules.checkInputs(inputs, view.byId());
        TransactionRules.checkOutputs(outputs, view.byId(), true);
      } catch (MintRefusal refusal) {
        if (refusal.error() != MintError.KEYSET_UNKNOWN) {
          throw new CompletionException(refusal);
        }
        // A keyset this node has not cached yet: the app judges it.
      }
      return mint.submit(lock);
    }).thenCompose(locked -> {
      paying.add(quote);
      CompletableFuture<ObjectNode> outcome = pay(quote, locked).whenComplete((r, t) -> paying.remove(quote));
      // The wallet waits a bounded time; a slower payment answers PENDING and is settled when it ends.
      return preferAsync ? CompletableFuture.completedFuture(locked)
          : outcome.copy().completeOnTimeout(locked, 2 * LightningBackend.PAYMENT_WAIT_SECONDS, TimeUnit.SECONDS);
    }).thenApply(CashuHttpApi::ok);
  }

  /** A melt quote's state; a PENDING one nobody here is paying is looked up at the backend and settled. */
  CompletableFuture<ObjectNode> state(String quote) {
    return mint.query(new MintRequest.MeltQuoteState(quote)).thenCompose(current -> {
      if (!"PENDING".equals(current.path("state").asText()) || paying.contains(quote)) {
        return CompletableFuture.completedFuture(current);
      }
      String bolt11 = current.path("request").asText();
      Bolt11.Invoice invoice;
      try {
        invoice = Bolt11.decode(bolt11);
      } catch (IllegalArgumentException e) {
        return CompletableFuture.completedFuture(current);
      }
      // This host's clock only decides whether to ask; apply checks the expiry against the leader's time.
      boolean givenUp = clock.instant().getEpochSecond()
          > invoice.expiresAtSeconds() + MintParameters.UNKNOWN_PAYMENT_GRACE_SECONDS;
      return lightning.paymentStatus(bolt11, invoice.paymentHash()).copy()
          .orTimeout(LightningBackend.CALL_TIMEOUT_SECONDS, TimeUnit.SECONDS)
          .exceptionally(failure -> LightningBackend.Payment.pending())
          .thenCompose(payment -> payment.status() == LightningBackend.Status.UNKNOWN && givenUp
              ? releaseUnknown(quote, current) : settle(quote, payment, current, false));
    });
  }

  /** Releases a melt no backend knows whose invoice has long expired; while the leader's time says otherwise it stays PENDING. */
  private CompletableFuture<ObjectNode> releaseUnknown(String quote, ObjectNode current) {
    return mint.submit(MintRequest.SettleMelt.unpaid(quote, MintRequest.Unpaid.UNKNOWN_AFTER_EXPIRY))
        .exceptionally(failure -> {
          log.warn("a melt no Lightning backend knows was not released; it stays PENDING: {}",
              MintClient.unwrap(failure).toString());
          return current;
        });
  }

  private CompletableFuture<ObjectNode> pay(String quote, ObjectNode locked) {
    String bolt11 = locked.path("request").asText();
    long amount = locked.path("amount").asLong();
    long reserve = locked.path("fee_reserve").asLong();
    // Past the wait the outcome counts as unknown: the quote stays PENDING and a state check settles it.
    return lightning.pay(bolt11, amount, reserve).copy()
        .orTimeout(LightningBackend.PAYMENT_WAIT_SECONDS, TimeUnit.SECONDS)
        .exceptionally(failure -> {
          log.warn("a Lightning payment's outcome is unknown; the melt stays PENDING: {}",
              MintClient.unwrap(failure).toString());
          return LightningBackend.Payment.pending();
        })
        .thenCompose(payment -> settle(quote, payment, locked, true));
  }

  /**
   * Commits a known outcome. A failed payment releases the inputs and, for the wallet that asked
   * to melt, is answered as error 20004; an unknown one leaves the quote PENDING.
   */
  private CompletableFuture<ObjectNode> settle(String quote, LightningBackend.Payment payment, ObjectNode current,
      boolean failureIsError) {
    switch (payment.status()) {
      case PAID -> {
        String preimage = payment.preimageHex();
        if (preimage == null || CashuJson.hex(preimage, 32) == null || payment.feeSat() < 0) {
          log.error("Lightning backend reported a payment PAID without a 32-byte preimage or with a negative fee; "
              + "the melt stays PENDING");
          return CompletableFuture.completedFuture(current);
        }
        return mint.submit(MintRequest.SettleMelt.paid(quote, preimage, payment.feeSat()))
            .whenComplete((r, t) -> logSettleFailure(t, "PAID"));
      }
      case FAILED -> {
        String reason = payment.failureReason() == null ? "no reason given" : payment.failureReason();
        return mint.submit(MintRequest.SettleMelt.unpaid(quote, MintRequest.Unpaid.PAYMENT_FAILED))
            .whenComplete((r, t) -> logSettleFailure(t, "FAILED"))
            .thenApply(released -> {
              if (failureIsError) {
                throw new CompletionException(new MintRefusal(MintError.PAYMENT_FAILED,
                    "the Lightning payment failed (" + CashuJson.clip(reason) + "); the inputs are spendable again"));
              }
              return released;
            });
      }
      default -> {
        return CompletableFuture.completedFuture(current);
      }
    }
  }

  private static void logSettleFailure(Throwable failure, String outcome) {
    if (failure != null) {
      log.warn("a melt's Lightning outcome ({}) could not be committed; the quote stays PENDING until its state is "
          + "checked again: {}", outcome, MintClient.unwrap(failure).toString());
    }
  }
}
