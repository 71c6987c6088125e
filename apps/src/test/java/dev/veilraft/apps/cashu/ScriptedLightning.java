package dev.veilraft.apps.cashu;

import java.time.Clock;
import java.util.concurrent.CompletableFuture;

/**
 * A Lightning backend whose answers a test sets: invoices come from the FAKE backend, but whether
 * they count as paid, how a payment ends and what fee it reports are the test's choice.
 */
final class ScriptedLightning implements LightningBackend {
  enum Outcome { PAID, FAILED, PENDING, UNREACHABLE, UNKNOWN }

  private final FakeLightningBackend fake;
  volatile boolean invoicesPaid = true;
  volatile Outcome payOutcome = Outcome.PAID;
  volatile Outcome statusOutcome = Outcome.PAID;
  volatile long feeSat;
  volatile long estimateSat;

  ScriptedLightning(Clock clock) {
    this.fake = new FakeLightningBackend(clock);
  }

  @Override
  public String network() {
    return fake.network();
  }

  @Override
  public CompletableFuture<CreatedInvoice> createInvoice(long amountSat, String description, long expirySeconds) {
    return fake.createInvoice(amountSat, description, expirySeconds);
  }

  @Override
  public CompletableFuture<Boolean> isInvoicePaid(String bolt11, byte[] paymentHash) {
    return CompletableFuture.completedFuture(invoicesPaid);
  }

  @Override
  public CompletableFuture<Long> estimateFee(String bolt11, long amountSat) {
    return CompletableFuture.completedFuture(estimateSat);
  }

  @Override
  public CompletableFuture<Payment> pay(String bolt11, long amountSat, long maxFeeSat) {
    return outcome(payOutcome, bolt11);
  }

  @Override
  public CompletableFuture<Payment> paymentStatus(String bolt11, byte[] paymentHash) {
    return outcome(statusOutcome, bolt11);
  }

  private CompletableFuture<Payment> outcome(Outcome outcome, String bolt11) {
    return switch (outcome) {
      case PAID -> fake.pay(bolt11, 0, 0).thenApply(p -> Payment.paid(p.preimageHex(), feeSat));
      case FAILED -> CompletableFuture.completedFuture(Payment.failed("no route"));
      case PENDING -> CompletableFuture.completedFuture(Payment.pending());
      case UNREACHABLE -> CompletableFuture.failedFuture(new java.io.IOException("lightning node unreachable"));
      case UNKNOWN -> CompletableFuture.completedFuture(new Payment(Status.UNKNOWN, null, 0, null));
    };
  }
}
