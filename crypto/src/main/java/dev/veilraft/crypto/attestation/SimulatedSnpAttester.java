package dev.veilraft.crypto.attestation;

import com.google.protobuf.ByteString;
import dev.veilraft.crypto.Check;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.proto.Evidence;
import dev.veilraft.crypto.proto.Platform;
import dev.veilraft.crypto.proto.TcbVersion;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * INSECURE: the simulated TEE's attester. It writes a full SEV-SNP report in the firmware's layout
 * and signs it with a {@link SimulatedSnpChip}'s VCEK key, which is a file on the host: the host
 * holds every key and can forge any report. Evidence is labelled {@link Platform#SIMULATED_SNP},
 * and every policy refuses it unless it allows simulation.
 *
 * <p>The builder can also produce evidence a real chip would never sign (another chip id, a TCB
 * the VCEK was not issued for, debug guests): the simulator uses that to play attackers.
 */
public final class SimulatedSnpAttester implements Attester {
  private static final Logger LOG = LoggerFactory.getLogger(SimulatedSnpAttester.class);
  private static final AtomicBoolean WARNED = new AtomicBoolean();
  /** SMT allowed (bit 16), reserved bit 17 set, debug (bit 19) off: a typical production guest policy. */
  public static final long GUEST_POLICY_DEFAULT = 0x30000L;
  public static final int REPORT_VERSION_DEFAULT = 3;
  /** CPUID of an EPYC Milan: family 0x19, model 0x01, stepping 1. */
  static final int CPUID_FAMILY = 0x19;
  static final int CPUID_MODEL = 0x01;
  static final int CPUID_STEPPING = 0x01;
  /** SMT enabled, as on a typical host. */
  private static final long PLATFORM_INFO = 0x1;
  private static final int[] FIRMWARE_VERSION = {1, 55, 29};
  private static final SecureRandom RANDOM = new SecureRandom();

  private final SimulatedSnpChip chip;
  private final byte[] measurement;
  private final long guestPolicy;
  private final int vmpl;
  private final byte[] hostData;
  private final TcbVersion reportedTcb;
  private final int reportVersion;
  private final byte[] chipId;

  private SimulatedSnpAttester(Builder b) {
    this.chip = b.chip;
    this.measurement = b.measurement;
    this.guestPolicy = b.guestPolicy;
    this.vmpl = b.vmpl;
    this.hostData = b.hostData;
    this.reportedTcb = b.reportedTcb != null ? b.reportedTcb : chip.tcb();
    this.reportVersion = b.reportVersion;
    this.chipId = b.chipId != null ? b.chipId : chip.chipId();
    if (WARNED.compareAndSet(false, true)) {
      LOG.warn("attesting with a SIMULATED SEV-SNP TEE: INSECURE, evidence is labelled SIMULATED_SNP and refused "
          + "by every policy that does not allow simulation");
    }
  }

  /** An attester with the defaults: policy 0x30000, VMPL 0, zero host data, the chip's TCB, report v3. */
  public static SimulatedSnpAttester create(SimulatedSnpChip chip, byte[] measurement) {
    return builder(chip, measurement).build();
  }

  public static Builder builder(SimulatedSnpChip chip, byte[] measurement) {
    return new Builder(chip, measurement);
  }

  @Override
  public Platform platform() {
    return Platform.SIMULATED_SNP;
  }

  @Override
  public byte[] measurement() {
    return measurement.clone();
  }

  public SimulatedSnpChip chip() {
    return chip;
  }

  /** Signs a fresh report carrying {@code reportData}; thread-safe. */
  @Override
  public Evidence attest(byte[] reportData) throws AttestationException {
    if (reportData == null || reportData.length != ReportData.BYTES) {
      throw new AttestationException("report data must be " + ReportData.BYTES + " bytes, got "
          + (reportData == null ? "none" : reportData.length));
    }
    byte[] report;
    try {
      report = reportBuilder(reportData).sign(chip.vcekKey());
    } catch (RuntimeException e) {
      throw new AttestationException("simulated TEE could not sign its report: " + e.getMessage(), e);
    }
    Evidence.Builder evidence = Evidence.newBuilder().setPlatform(Platform.SIMULATED_SNP)
        .setReport(ByteString.copyFrom(report));
    for (byte[] der : chip.certChain()) {
      evidence.addCertChain(ByteString.copyFrom(der));
    }
    return evidence.build();
  }

  private SnpReportBuilder reportBuilder(byte[] reportData) {
    long tcb = chip.product().encodeTcb(reportedTcb);
    byte[] reportId = new byte[32];
    RANDOM.nextBytes(reportId);
    byte[] noMigrationAgent = new byte[32];
    Arrays.fill(noMigrationAgent, (byte) 0xFF);
    SnpReportBuilder builder = SnpReport.builder()
        .version(reportVersion).guestSvn(0).policy(guestPolicy).vmpl(vmpl)
        .signatureAlgo(SnpReport.SIGNATURE_ALGO_ECDSA_P384_SHA384)
        .currentTcb(tcb).platformInfo(PLATFORM_INFO)
        .signerInfo(false, false, SnpReport.SIGNING_KEY_VCEK)
        .reportData(reportData).measurement(measurement).hostData(hostData)
        .reportId(reportId).reportIdMa(noMigrationAgent)
        .reportedTcb(tcb).chipId(chipId).committedTcb(tcb).launchTcb(tcb)
        .currentVersion(FIRMWARE_VERSION[0], FIRMWARE_VERSION[1], FIRMWARE_VERSION[2])
        .committedVersion(FIRMWARE_VERSION[0], FIRMWARE_VERSION[1], FIRMWARE_VERSION[2]);
    if (reportVersion >= SnpReport.VERSION_WITH_CPUID) {
      builder.cpuid(CPUID_FAMILY, CPUID_MODEL, CPUID_STEPPING);
    }
    return builder;
  }

  @Override
  public String toString() {
    return "SimulatedSnpAttester{chip=" + Hashes.shortHex(chip.chipId(), 8) + ", measurement="
        + Hashes.shortHex(measurement, 8) + ", INSECURE}";
  }

  /** Options of a simulated attester; validated when set. */
  public static final class Builder {
    private final SimulatedSnpChip chip;
    private final byte[] measurement;
    private long guestPolicy = GUEST_POLICY_DEFAULT;
    private int vmpl;
    private byte[] hostData = new byte[SnpReport.HOST_DATA_BYTES];
    private TcbVersion reportedTcb;
    private int reportVersion = REPORT_VERSION_DEFAULT;
    private byte[] chipId;

    private Builder(SimulatedSnpChip chip, byte[] measurement) {
      this.chip = Objects.requireNonNull(chip, "chip");
      this.measurement = Check.length(measurement, SnpReport.MEASUREMENT_BYTES, "launch measurement").clone();
    }

    /** The guest policy word; set {@link SnpReport#POLICY_DEBUG_BIT} for a debug guest. */
    public Builder guestPolicy(long policy) {
      this.guestPolicy = policy;
      return this;
    }

    /** VMPL the report is requested from, 0 (most privileged) to 3. */
    public Builder vmpl(int vmpl) {
      Check.argument(vmpl >= 0 && vmpl <= SnpEvidenceVerifier.VMPL_MAX, "VMPL must be 0 to 3, got " + vmpl);
      this.vmpl = vmpl;
      return this;
    }

    public Builder hostData(byte[] hostData) {
      this.hostData = Check.length(hostData, SnpReport.HOST_DATA_BYTES, "host data").clone();
      return this;
    }

    /** Reports a TCB other than the one the VCEK was issued for (verifiers reject it: TCB_MISMATCH_VCEK). */
    public Builder reportedTcb(TcbVersion tcb) {
      chip.product().encodeTcb(tcb); // Validates the components.
      this.reportedTcb = tcb;
      return this;
    }

    /** Report format version; 2 omits CPUID. Versions outside 2..5 make evidence verifiers refuse. */
    public Builder reportVersion(int version) {
      Check.argument(version >= 1 && version <= SnpReport.VERSION_MAX,
          "report version must be 1 to " + SnpReport.VERSION_MAX + ", got " + version);
      this.reportVersion = version;
      return this;
    }

    /** Claims another chip id than the VCEK's (verifiers reject it: CHIP_ID_MISMATCH). */
    public Builder chipIdOverride(byte[] chipId64) {
      this.chipId = Check.length(chipId64, SnpReport.CHIP_ID_BYTES, "chip id").clone();
      return this;
    }

    public SimulatedSnpAttester build() {
      return new SimulatedSnpAttester(this);
    }
  }
}
