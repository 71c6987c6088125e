package dev.veilraft.crypto.attestation;

import dev.veilraft.crypto.proto.TcbVersion;
import java.io.IOException;
import java.math.BigInteger;
import java.security.cert.X509Certificate;
import java.util.Optional;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.DERIA5String;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;

/**
 * AMD's X.509 extensions on VCEK and VLEK certificates (AMD "Versioned Chip Endorsement Key"
 * spec; observed in every real certificate under shared/vectors). The TCB components are DER
 * INTEGERs inside the extension's OCTET STRING; hwID is the raw chip id (64 bytes on Milan and
 * Genoa, 8 on Turin), or in some synthetic certificates a DER OCTET STRING around it.
 */
final class VcekExtensions {
  private static final String PREFIX = "1.3.6.1.4.1.3704.1.";
  static final String STRUCT_VERSION = PREFIX + "1";
  static final String PRODUCT_NAME = PREFIX + "2";
  static final String BL_SPL = PREFIX + "3.1";
  static final String TEE_SPL = PREFIX + "3.2";
  static final String SNP_SPL = PREFIX + "3.3";
  static final String UCODE_SPL = PREFIX + "3.8";
  static final String FMC_SPL = PREFIX + "3.9";
  static final String HW_ID = PREFIX + "4";
  /** Bound on an extension value we are willing to decode; real ones are under 100 bytes. */
  private static final int EXTENSION_BYTES_MAX = 1024;

  private VcekExtensions() {}

  /** The TCB the VCEK/VLEK was issued for, read as {@code product} defines it (fmc only on Turin). */
  static TcbVersion tcb(X509Certificate leaf, SnpProduct product) throws Rejection {
    TcbVersion.Builder tcb = TcbVersion.newBuilder()
        .setBootloader(spl(leaf, BL_SPL, "blSPL"))
        .setTee(spl(leaf, TEE_SPL, "teeSPL"))
        .setSnp(spl(leaf, SNP_SPL, "snpSPL"))
        .setMicrocode(spl(leaf, UCODE_SPL, "ucodeSPL"));
    if (product == SnpProduct.TURIN) {
      tcb.setFmc(spl(leaf, FMC_SPL, "fmcSPL"));
    }
    return tcb.build();
  }

  /** The hwID extension's chip id, unwrapped when it is a nested OCTET STRING; empty when absent. */
  static Optional<byte[]> hwId(X509Certificate leaf, int expectedBytes) throws Rejection {
    byte[] content = content(leaf, HW_ID, "hwID", RejectReason.CHIP_ID_MISMATCH);
    if (content == null) {
      return Optional.empty();
    }
    if (content.length == expectedBytes) {
      return Optional.of(content);
    }
    try {
      return Optional.of(ASN1OctetString.getInstance(ASN1Primitive.fromByteArray(content)).getOctets());
    } catch (IOException | RuntimeException e) {
      throw new Rejection(RejectReason.CHIP_ID_MISMATCH, "VCEK hwID extension is " + content.length
          + " bytes; expected " + expectedBytes + " bytes of chip id");
    }
  }

  /** Adds the extensions a real VCEK carries: struct version, product name, SPLs and hwID. */
  static void write(X509v3CertificateBuilder builder, SnpProduct product, byte[] hwId, TcbVersion tcb)
      throws CertIOException {
    builder.addExtension(new ASN1ObjectIdentifier(STRUCT_VERSION), false, new ASN1Integer(1));
    builder.addExtension(new ASN1ObjectIdentifier(PRODUCT_NAME), false, new DERIA5String(product.displayName()));
    builder.addExtension(new ASN1ObjectIdentifier(BL_SPL), false, new ASN1Integer(tcb.getBootloader()));
    builder.addExtension(new ASN1ObjectIdentifier(TEE_SPL), false, new ASN1Integer(tcb.getTee()));
    builder.addExtension(new ASN1ObjectIdentifier(SNP_SPL), false, new ASN1Integer(tcb.getSnp()));
    builder.addExtension(new ASN1ObjectIdentifier(UCODE_SPL), false, new ASN1Integer(tcb.getMicrocode()));
    if (product == SnpProduct.TURIN) {
      builder.addExtension(new ASN1ObjectIdentifier(FMC_SPL), false, new ASN1Integer(tcb.getFmc()));
    }
    // Raw bytes inside the extension's OCTET STRING, exactly like AMD's certificates.
    builder.addExtension(new ASN1ObjectIdentifier(HW_ID), false, hwId);
  }

  private static int spl(X509Certificate leaf, String oid, String what) throws Rejection {
    byte[] content = content(leaf, oid, what, RejectReason.TCB_MISMATCH_VCEK);
    if (content == null) {
      throw new Rejection(RejectReason.TCB_MISMATCH_VCEK, "VCEK/VLEK has no " + what + " extension (" + oid
          + "), so its TCB cannot be compared with the report");
    }
    try {
      BigInteger value = ASN1Integer.getInstance(ASN1Primitive.fromByteArray(content)).getValue();
      if (value.signum() < 0 || value.bitLength() > 8) {
        throw new Rejection(RejectReason.TCB_MISMATCH_VCEK, "VCEK/VLEK " + what + " is " + value
            + ", outside 0..255");
      }
      return value.intValueExact();
    } catch (IOException | RuntimeException e) {
      throw new Rejection(RejectReason.TCB_MISMATCH_VCEK, "VCEK/VLEK " + what + " extension is not a DER INTEGER");
    }
  }

  /** The extnValue content of {@code oid}, or null when the certificate lacks it. */
  private static byte[] content(X509Certificate cert, String oid, String what, RejectReason reason)
      throws Rejection {
    byte[] wrapped = cert.getExtensionValue(oid);
    if (wrapped == null) {
      return null;
    }
    if (wrapped.length > EXTENSION_BYTES_MAX) {
      throw new Rejection(reason, "VCEK/VLEK " + what + " extension is " + wrapped.length + " bytes, over "
          + EXTENSION_BYTES_MAX);
    }
    try {
      return ASN1OctetString.getInstance(ASN1Primitive.fromByteArray(wrapped)).getOctets();
    } catch (IOException | RuntimeException e) {
      throw new Rejection(reason, "VCEK/VLEK " + what + " extension is not an OCTET STRING");
    }
  }
}
