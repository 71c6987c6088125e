package dev.veilraft.apps.cashu;

import java.util.concurrent.CompletableFuture;

/**
 * The Lightning node a mint front end talks to: issue invoices for mint quotes, learn whether
 * they were paid, estimate and make payments for melt quotes. This is I/O and runs only in the
 * front end ({@link CashuHttpApi}), never in the replicated app; what it reports is committed as
 * a request and judged there. A real node (LND, CLN, LDK) plugs in by implementing this
 * interface. Whatever the backend of the member serving a request reports is what the group
 * believes (an invoice paid, a payment made), so the trust in payments lies with that backend.
 *
 * <p>Every method may complete exceptionally when the node cannot be reached; the front end
 * then answers that the request could not be served and changes nothing.
 */
public interface LightningBackend {
  /** How long the front end waits for an invoice, a payment check or a fee estimate (node-local). */
  long CALL_TIMEOUT_SECONDS = 30;
  /**
   * How long a wallet's melt request waits for the payment's outcome before it is answered
   * PENDING; the payment goes on and is settled when it ends (node-local).
   */
  long PAYMENT_WAIT_SECONDS = 120;

  /** The BOLT 11 network prefix the node works on: "bc", "tb", "bcrt" or "tbs". */
  String network();

  /** Whether invoices this backend creates carry the description a wallet asked for (NUT-23 option). */
  default boolean supportsDescription() {
    return true;
  }

  /** Issues an invoice for {@code amountSat} valid for {@code expirySeconds}. */
  CompletableFuture<CreatedInvoice> createInvoice(long amountSat, String description, long expirySeconds);

  /** Whether an invoice this node issued has been paid (settled) to it. */
  CompletableFuture<Boolean> isInvoicePaid(String bolt11, byte[] paymentHash);

  /** The routing fee, in sat, the node expects to pay for {@code bolt11}. */
  CompletableFuture<Long> estimateFee(String bolt11, long amountSat);

  /**
   * Pays {@code bolt11} ({@code amountSat}), spending at most {@code maxFeeSat} on routing. A
   * result of {@link Status#PENDING} or an exceptional completion means the outcome is not known
   * yet; {@link #paymentStatus} tells later.
   */
  CompletableFuture<Payment> pay(String bolt11, long amountSat, long maxFeeSat);

  /** What became of an earlier payment of {@code bolt11}. */
  CompletableFuture<Payment> paymentStatus(String bolt11, byte[] paymentHash);

  /** An invoice the node issued. */
  record CreatedInvoice(String bolt11, byte[] paymentHash) {
    public CreatedInvoice {
      paymentHash = paymentHash.clone();
    }

    @Override
    public byte[] paymentHash() {
      return paymentHash.clone();
    }
  }

  /**
   * The state of an outgoing payment. PENDING: in flight. UNKNOWN: the node has no record of it
   * (never attempted); once the invoice has expired the front end treats that as failed.
   */
  enum Status { PAID, FAILED, PENDING, UNKNOWN }

  /**
   * An outgoing payment: for {@link Status#PAID} the preimage (64 hex characters) and the routing
   * fee paid (at most the maximum asked for); for {@link Status#FAILED} a reason.
   */
  record Payment(Status status, String preimageHex, long feeSat, String failureReason) {
    public static Payment paid(String preimageHex, long feeSat) {
      return new Payment(Status.PAID, preimageHex, feeSat, null);
    }

    public static Payment failed(String reason) {
      return new Payment(Status.FAILED, null, 0, reason);
    }

    public static Payment pending() {
      return new Payment(Status.PENDING, null, 0, null);
    }
  }
}
