package dev.veilraft.apps.cashu;

import dev.veilraft.crypto.Check;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.secp256k1.Bolt11;
import dev.veilraft.crypto.secp256k1.Secp256k1;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A FAKE Lightning backend for development and tests, like the FakeWallet backends of nutshell
 * and cdk: every invoice it issues counts as paid at once, without any payment, and it "pays"
 * any decodable invoice of its network for free. Never use it for real money.
 *
 * <p>Its invoices are real BOLT 11, signed with a fixed, public test node key. It keeps no
 * state: the preimage of each invoice is derived from the invoice's payment secret, so every
 * fake backend in a cluster recognises every other one's invoices as paid and can produce their
 * preimages. Paying one of its own invoices returns the true preimage; paying a foreign one
 * returns a deterministic fake preimage (whose hash is not the invoice's payment hash).
 */
public final class FakeLightningBackend implements LightningBackend {
  private static final Logger log = LoggerFactory.getLogger(FakeLightningBackend.class);
  /** The fake node's key: public knowledge, derived from a fixed label. */
  private static final byte[] NODE_SECRET = Secp256k1.deriveScalar(Hashes.sha256(Hashes.utf8("veilraft fake lightning")),
      "veilraft/fake-lightning/node-key", new byte[0]);
  private static final byte[] NODE_KEY = Secp256k1.publicKey(NODE_SECRET);
  private static final byte[] PREIMAGE_LABEL = Hashes.utf8("veilraft/fake-lightning/preimage");
  private static final byte[] FOREIGN_PREIMAGE_LABEL = Hashes.utf8("veilraft/fake-lightning/foreign-preimage");
  private static final Set<String> NETWORKS = Set.of("bc", "tb", "bcrt", "tbs");

  private final Clock clock;
  private final String network;
  private final SecureRandom random = new SecureRandom();

  /** A fake regtest ("bcrt") backend. */
  public FakeLightningBackend(Clock clock) {
    this(clock, "bcrt");
  }

  public FakeLightningBackend(Clock clock, String network) {
    Check.argument(NETWORKS.contains(network), "network must be one of " + NETWORKS + ", got '" + network + "'");
    this.clock = clock;
    this.network = network;
    log.warn("FAKE Lightning backend: invoices are marked paid without payment (network {})", network);
  }

  /** The fake node's public key (the payee of every invoice it issues). */
  public static byte[] nodeKey() {
    return NODE_KEY.clone();
  }

  @Override
  public String network() {
    return network;
  }

  @Override
  public CompletableFuture<CreatedInvoice> createInvoice(long amountSat, String description, long expirySeconds) {
    byte[] paymentSecret = new byte[32];
    random.nextBytes(paymentSecret);
    byte[] paymentHash = Hashes.sha256(preimage(paymentSecret));
    Bolt11.Invoice invoice = new Bolt11.Invoice(network, Math.multiplyExact(amountSat, 1000L),
        clock.instant().getEpochSecond(), paymentHash, paymentSecret, description == null ? "" : description,
        expirySeconds, null);
    return CompletableFuture.completedFuture(new CreatedInvoice(Bolt11.encode(invoice, NODE_SECRET), paymentHash));
  }

  @Override
  public CompletableFuture<Boolean> isInvoicePaid(String bolt11, byte[] paymentHash) {
    return CompletableFuture.completedFuture(ownPreimage(bolt11) != null);
  }

  @Override
  public CompletableFuture<Long> estimateFee(String bolt11, long amountSat) {
    return CompletableFuture.completedFuture(0L);
  }

  @Override
  public CompletableFuture<Payment> pay(String bolt11, long amountSat, long maxFeeSat) {
    return CompletableFuture.completedFuture(settle(bolt11));
  }

  @Override
  public CompletableFuture<Payment> paymentStatus(String bolt11, byte[] paymentHash) {
    return CompletableFuture.completedFuture(settle(bolt11));
  }

  private Payment settle(String bolt11) {
    Bolt11.Invoice invoice;
    try {
      invoice = Bolt11.decode(bolt11);
    } catch (IllegalArgumentException e) {
      return Payment.failed("invoice does not decode: " + e.getMessage());
    }
    if (!network.equals(invoice.network())) {
      return Payment.failed("invoice is for network " + invoice.network() + ", this node is on " + network);
    }
    byte[] own = ownPreimage(invoice);
    byte[] preimage = own != null ? own : Hashes.sha256(FOREIGN_PREIMAGE_LABEL, invoice.paymentHash());
    return Payment.paid(Hashes.hex(preimage), 0);
  }

  private byte[] ownPreimage(String bolt11) {
    try {
      return ownPreimage(Bolt11.decode(bolt11));
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /** The preimage of an invoice a fake backend issued, or null for any other invoice. */
  private static byte[] ownPreimage(Bolt11.Invoice invoice) {
    if (invoice.paymentSecret() == null || !Arrays.equals(invoice.payeeNodeKey(), NODE_KEY)) {
      return null;
    }
    byte[] preimage = preimage(invoice.paymentSecret());
    return Arrays.equals(Hashes.sha256(preimage), invoice.paymentHash()) ? preimage : null;
  }

  private static byte[] preimage(byte[] paymentSecret) {
    return Hashes.sha256(PREIMAGE_LABEL, paymentSecret);
  }
}
