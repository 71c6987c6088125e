package dev.veilraft.crypto.attestation;

import dev.veilraft.crypto.proto.TcbVersion;
import java.util.Locale;
import java.util.Optional;

/**
 * AMD EPYC generations that run SEV-SNP. They differ in how the 8-byte TCB_VERSION is laid out
 * and in how long the chip id in the VCEK is, so the verifier must know the product before it
 * compares the report's TCB and chip id with the VCEK's extensions.
 */
public enum SnpProduct {
  /** Zen 3. TCB bytes: 0 = BL, 1 = TEE, 6 = SNP, 7 = microcode. */
  MILAN("Milan", 64),
  /** Zen 4 (also Bergamo and Siena). Same TCB layout as Milan. */
  GENOA("Genoa", 64),
  /** Zen 5. TCB bytes: 0 = FMC, 1 = BL, 2 = TEE, 3 = SNP, 7 = microcode; the VCEK's hwID is 8 bytes. */
  TURIN("Turin", 8);

  private static final int CPUID_FAMILY_ZEN3_ZEN4 = 0x19;
  private static final int CPUID_FAMILY_ZEN5 = 0x1A;

  private final String displayName;
  private final int hwIdBytes;

  SnpProduct(String displayName, int hwIdBytes) {
    this.displayName = displayName;
    this.hwIdBytes = hwIdBytes;
  }

  /** "Milan", "Genoa", "Turin": the spelling AMD uses in certificate names. */
  public String displayName() {
    return displayName;
  }

  /** How many leading bytes of the report's chip_id the VCEK's hwID extension holds. */
  public int hwIdBytes() {
    return hwIdBytes;
  }

  /** The product named by the CPUID family and model of a version 3+ report, if known. */
  public static Optional<SnpProduct> fromCpuid(int family, int model) {
    if (family == CPUID_FAMILY_ZEN3_ZEN4) {
      int modelHigh = model >>> 4;
      if (modelHigh == 0x0) {
        return Optional.of(MILAN);
      }
      if (modelHigh == 0x1 || modelHigh == 0xA) {
        return Optional.of(GENOA);
      }
      return Optional.empty();
    }
    return family == CPUID_FAMILY_ZEN5 ? Optional.of(TURIN) : Optional.empty();
  }

  /**
   * The product named in a certificate subject such as "CN=SEV-Milan" or "CN=ARK-Genoa", if any.
   * Version 2 reports carry no CPUID, so the signing chain is the only hint.
   */
  public static Optional<SnpProduct> fromName(String name) {
    if (name == null) {
      return Optional.empty();
    }
    String lower = name.toLowerCase(Locale.ROOT);
    for (SnpProduct product : values()) {
      if (lower.contains(product.displayName.toLowerCase(Locale.ROOT))) {
        return Optional.of(product);
      }
    }
    return Optional.empty();
  }

  /** Splits a raw little-endian TCB_VERSION into its components for this product. */
  public TcbVersion decodeTcb(long raw) {
    TcbVersion.Builder tcb = TcbVersion.newBuilder().setMicrocode(byteAt(raw, 7));
    if (this == TURIN) {
      return tcb.setFmc(byteAt(raw, 0)).setBootloader(byteAt(raw, 1)).setTee(byteAt(raw, 2))
          .setSnp(byteAt(raw, 3)).build();
    }
    return tcb.setBootloader(byteAt(raw, 0)).setTee(byteAt(raw, 1)).setSnp(byteAt(raw, 6)).build();
  }

  /** The raw TCB_VERSION for components; each must fit in one byte (fmc must be 0 before Turin). */
  public long encodeTcb(TcbVersion tcb) {
    long raw = withByte(0L, 7, tcb.getMicrocode(), "microcode");
    if (this == TURIN) {
      raw = withByte(raw, 0, tcb.getFmc(), "fmc");
      raw = withByte(raw, 1, tcb.getBootloader(), "bootloader");
      raw = withByte(raw, 2, tcb.getTee(), "tee");
      return withByte(raw, 3, tcb.getSnp(), "snp");
    }
    if (tcb.getFmc() != 0) {
      throw new IllegalArgumentException(displayName + " TCB has no FMC component, got fmc=" + tcb.getFmc());
    }
    raw = withByte(raw, 0, tcb.getBootloader(), "bootloader");
    raw = withByte(raw, 1, tcb.getTee(), "tee");
    return withByte(raw, 6, tcb.getSnp(), "snp");
  }

  /** "bl=3 tee=0 snp=8 ucode=115", with "fmc=" first when it is set: for messages. */
  public static String describeTcb(TcbVersion tcb) {
    String common = "bl=" + tcb.getBootloader() + " tee=" + tcb.getTee() + " snp=" + tcb.getSnp()
        + " ucode=" + tcb.getMicrocode();
    return tcb.getFmc() != 0 ? "fmc=" + tcb.getFmc() + " " + common : common;
  }

  private static int byteAt(long raw, int index) {
    return (int) ((raw >>> (8 * index)) & 0xFF);
  }

  private static long withByte(long raw, int index, int value, String what) {
    if (value < 0 || value > 0xFF) {
      throw new IllegalArgumentException("TCB component " + what + " must fit in one byte, got " + value);
    }
    return raw | ((long) value << (8 * index));
  }
}
