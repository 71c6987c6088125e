package dev.veilraft.crypto.tee;

import dev.veilraft.crypto.Check;
import dev.veilraft.crypto.attestation.AttestationException;
import dev.veilraft.crypto.attestation.Attester;
import dev.veilraft.crypto.attestation.ReportData;
import dev.veilraft.crypto.proto.Evidence;
import dev.veilraft.crypto.proto.Platform;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Objects;

/**
 * An SEV-SNP attester on {@code /dev/sev-guest} (for kernels without configfs-tsm, or when the
 * device is all a guest image exposes). Each request is an extended report, so the host's
 * certificates come along; whatever the host does not supply comes from the configured
 * {@link SnpEndorsements} (cache, then AMD KDS). Opening takes one report, to learn the
 * measurement and to fail at startup when the device or the endorsements are missing.
 */
public final class SevGuestAttester implements Attester, AutoCloseable {
  private static final SecureRandom RANDOM = new SecureRandom();

  private final SevGuestDevice device;
  private final SnpEndorsements endorsements;
  private final int vmpl;
  private final byte[] measurement;

  private SevGuestAttester(SevGuestDevice device, SnpEndorsements endorsements, int vmpl, byte[] measurement) {
    this.device = device;
    this.endorsements = endorsements;
    this.vmpl = vmpl;
    this.measurement = measurement;
  }

  /** Opens {@code devicePath}, asking for reports at {@code vmpl} (0 unless the guest runs under an SVSM). */
  public static SevGuestAttester open(Path devicePath, SnpEndorsements endorsements, int vmpl)
      throws AttestationException {
    return open(devicePath, endorsements, vmpl, LibcDeviceIo.INSTANCE);
  }

  static SevGuestAttester open(Path devicePath, SnpEndorsements endorsements, int vmpl, DeviceIo io)
      throws AttestationException {
    Objects.requireNonNull(endorsements, "endorsements");
    Check.argument(vmpl >= 0 && vmpl <= SevGuestDevice.VMPL_MAX, "VMPL must be 0 to 3, got " + vmpl);
    SevGuestDevice device = SevGuestDevice.open(devicePath, io);
    try {
      byte[] probe = new byte[ReportData.BYTES];
      RANDOM.nextBytes(probe);
      byte[] measurement = assemble(device, endorsements, vmpl, probe).measurement();
      return new SevGuestAttester(device, endorsements, vmpl, measurement);
    } catch (AttestationException | RuntimeException e) {
      device.close();
      throw e;
    }
  }

  @Override
  public Platform platform() {
    return Platform.SEV_SNP;
  }

  @Override
  public Evidence attest(byte[] reportData) throws AttestationException {
    EvidenceAssembly.checkReportData(reportData);
    return assemble(device, endorsements, vmpl, reportData).evidence();
  }

  /** MEASUREMENT (48 bytes): fixed at launch. */
  @Override
  public byte[] measurement() {
    return measurement.clone();
  }

  private static EvidenceAssembly.Assembled assemble(SevGuestDevice device, SnpEndorsements endorsements, int vmpl,
      byte[] reportData) throws AttestationException {
    SevGuestDevice.ExtendedReport extended = device.extendedReport(reportData, vmpl);
    return EvidenceAssembly.snp(extended.report(), extended.certificates(), reportData, endorsements);
  }

  @Override
  public void close() {
    device.close();
  }

  @Override
  public String toString() {
    return "SevGuestAttester{" + device.path() + ", vmpl=" + vmpl + ", " + endorsements + "}";
  }
}
