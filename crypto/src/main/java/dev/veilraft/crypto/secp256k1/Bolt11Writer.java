package dev.veilraft.crypto.secp256k1;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;

/** Writes and signs a BOLT 11 invoice for {@link Bolt11#encode(Bolt11.Invoice, Bolt11.Details, byte[])}. */
final class Bolt11Writer {
  private final ByteArrayOutputStream words = new ByteArrayOutputStream();

  private Bolt11Writer() {}

  static String write(Bolt11.Invoice invoice, Bolt11.Details details, byte[] nodeSecret) {
    if (invoice == null) {
      throw new IllegalArgumentException("invoice is missing");
    }
    if (details == null) {
      throw new IllegalArgumentException("details is missing (use Bolt11.Details.DEFAULT)");
    }
    BigInteger secret = Curve.scalar(nodeSecret, "nodeSecret");
    String hrp = humanReadablePart(invoice);
    byte[] description = checkDescription(invoice, details);
    long timestamp = invoice.timestampSeconds();
    if (timestamp < 0 || timestamp > Bolt11.TIMESTAMP_SECONDS_MAX) {
      throw new IllegalArgumentException("timestampSeconds " + timestamp + " is outside 0.." + Bolt11.TIMESTAMP_SECONDS_MAX);
    }
    checkInteger(invoice.expirySeconds(), "expirySeconds");
    if (details.minFinalCltvExpiryDelta() != null) {
      checkInteger(details.minFinalCltvExpiryDelta(), "minFinalCltvExpiryDelta");
    }
    Bolt11Fields.checkFeatures(details.featureBits());

    Bolt11Writer writer = new Bolt11Writer();
    for (int i = Bolt11Fields.TIMESTAMP_WORDS - 1; i >= 0; i--) {
      writer.words.write((int) (timestamp >>> (5 * i)) & 31);
    }
    writer.field(Bolt11Fields.TYPE_PAYMENT_SECRET, bytesToWords(Curve.length32(invoice.paymentSecret(), "paymentSecret")));
    writer.field(Bolt11Fields.TYPE_PAYMENT_HASH, bytesToWords(Curve.length32(invoice.paymentHash(), "paymentHash")));
    if (description != null) {
      writer.field(Bolt11Fields.TYPE_DESCRIPTION, bytesToWords(description));
    } else {
      writer.field(Bolt11Fields.TYPE_DESCRIPTION_HASH, bytesToWords(details.descriptionHash()));
    }
    if (invoice.expirySeconds() != Bolt11.DEFAULT_EXPIRY_SECONDS) {
      writer.field(Bolt11Fields.TYPE_EXPIRY, Bolt11Fields.integerWords(invoice.expirySeconds()));
    }
    if (details.minFinalCltvExpiryDelta() != null) {
      writer.field(Bolt11Fields.TYPE_MIN_FINAL_CLTV_EXPIRY, Bolt11Fields.integerWords(details.minFinalCltvExpiryDelta()));
    }
    if (!details.featureBits().isEmpty()) {
      writer.field(Bolt11Fields.TYPE_FEATURES, Bolt11Fields.featureWords(details.featureBits()));
    }

    byte[] data = writer.words.toByteArray();
    byte[] hash = Curve.sha256(hrp.getBytes(StandardCharsets.US_ASCII), Bech32.convertBits(data, 5, 8, true));
    writer.words.writeBytes(bytesToWords(RecoverableEcdsa.sign(hash, secret)));
    return Bech32.encode(hrp, writer.words.toByteArray());
  }

  private static String humanReadablePart(Bolt11.Invoice invoice) {
    if (invoice.network() == null || !Bolt11Fields.isNetwork(invoice.network())) {
      throw new IllegalArgumentException("network '" + invoice.network() + "' is not one of bc, tb, tbs, bcrt");
    }
    if (invoice.amountMsat() == null) {
      return "ln" + invoice.network();
    }
    Bolt11Fields.checkAmount(invoice.amountMsat(), "amountMsat " + invoice.amountMsat());
    return "ln" + invoice.network() + Bolt11Fields.formatAmount(invoice.amountMsat());
  }

  /** The description's UTF-8 bytes, or null when the details carry a description hash instead. */
  private static byte[] checkDescription(Bolt11.Invoice invoice, Bolt11.Details details) {
    if (details.descriptionHash() != null) {
      Curve.length32(details.descriptionHash(), "descriptionHash");
      if (invoice.description() != null) {
        throw new IllegalArgumentException("description and descriptionHash are both set; an invoice carries exactly one");
      }
      return null;
    }
    if (invoice.description() == null) {
      throw new IllegalArgumentException("description is missing and no descriptionHash is given; an invoice carries exactly one");
    }
    byte[] bytes = invoice.description().getBytes(StandardCharsets.UTF_8);
    if (bytes.length > Bolt11.DESCRIPTION_BYTES_MAX) {
      throw new IllegalArgumentException("description is " + bytes.length + " UTF-8 bytes, at most "
          + Bolt11.DESCRIPTION_BYTES_MAX + " fit a tagged field");
    }
    return bytes;
  }

  private static void checkInteger(long value, String what) {
    if (value < 0 || value > Bolt11.INTEGER_FIELD_MAX) {
      throw new IllegalArgumentException(what + " " + value + " is outside 0.." + Bolt11.INTEGER_FIELD_MAX);
    }
  }

  private static byte[] bytesToWords(byte[] bytes) {
    return Bech32.convertBits(bytes, 8, 5, true);
  }

  private void field(int type, byte[] data) {
    if (data.length > Bolt11Fields.FIELD_WORDS_MAX) {
      throw new IllegalStateException("invariant violated: tagged field " + Bolt11Fields.typeName(type) + " exceeds 1023 words");
    }
    words.write(type);
    words.write(data.length >>> 5);
    words.write(data.length & 31);
    words.writeBytes(data);
  }
}
