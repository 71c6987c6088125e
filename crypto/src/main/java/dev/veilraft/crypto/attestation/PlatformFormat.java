package dev.veilraft.crypto.attestation;

import dev.veilraft.crypto.proto.Platform;
import java.util.Optional;

/**
 * The evidence layout a platform uses, which fixes the shape of its reference values: a real
 * platform and its simulation share one format (SEV_SNP and SIMULATED_SNP the SEV-SNP report,
 * TDX and SIMULATED_TDX the DCAP quote), so they are measured and judged alike. The policy
 * layer and policy validation use it to name fields the way the platform's specification does
 * and to know which lengths can ever match.
 */
public enum PlatformFormat {
  /** SEV-SNP ATTESTATION_REPORT: MEASUREMENT (48 bytes), HOST_DATA (32 bytes), TCB_VERSION floor. */
  SNP(48, 32, "measurement", "host_data"),
  /** Intel TDX quote: MRTD||RTMR0..3 (240 bytes), MRCONFIGID (48 bytes), TEE_TCB_SVN floor. */
  TDX(240, 48, "MRTD||RTMR0..3", "MRCONFIGID"),
  /** AWS Nitro attestation document: PCR0||PCR1||PCR2 (144 bytes); no host data, no TCB. */
  NITRO(144, 0, "PCR0||PCR1||PCR2", "host data");

  private final int measurementBytes;
  private final int hostDataBytes;
  private final String measurementName;
  private final String hostDataName;

  PlatformFormat(int measurementBytes, int hostDataBytes, String measurementName, String hostDataName) {
    this.measurementBytes = measurementBytes;
    this.hostDataBytes = hostDataBytes;
    this.measurementName = measurementName;
    this.hostDataName = hostDataName;
  }

  /** The format of {@code platform}; empty for PLATFORM_UNSPECIFIED and values this build does not know. */
  public static Optional<PlatformFormat> of(Platform platform) {
    if (platform == null) {
      return Optional.empty();
    }
    return switch (platform) {
      case SEV_SNP, SIMULATED_SNP -> Optional.of(SNP);
      case TDX, SIMULATED_TDX -> Optional.of(TDX);
      case NITRO -> Optional.of(NITRO);
      default -> Optional.empty();
    };
  }

  /**
   * Whether {@code platform} is a software simulation (INSECURE: the host holds every key). Such
   * evidence is refused unless the policy sets allow_simulated.
   */
  public static boolean isSimulated(Platform platform) {
    return platform == Platform.SIMULATED_SNP || platform == Platform.SIMULATED_TDX;
  }

  /** Length of the whole launch measurement the policy compares. */
  public int measurementBytes() {
    return measurementBytes;
  }

  /** Length of HOST_DATA or MRCONFIGID; 0 when the format has none (Nitro). */
  public int hostDataBytes() {
    return hostDataBytes;
  }

  /** The measurement as the specification names it, for messages. */
  public String measurementName() {
    return measurementName;
  }

  /** The host data field as the specification names it, for messages. */
  public String hostDataName() {
    return hostDataName;
  }
}
