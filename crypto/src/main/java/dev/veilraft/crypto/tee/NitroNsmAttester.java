package dev.veilraft.crypto.tee;

import dev.veilraft.crypto.attestation.AttestationException;
import dev.veilraft.crypto.attestation.Attester;
import dev.veilraft.crypto.attestation.ReportData;
import dev.veilraft.crypto.proto.Evidence;
import dev.veilraft.crypto.proto.Platform;
import java.nio.file.Path;
import java.security.SecureRandom;

/**
 * An AWS Nitro Enclaves attester on {@code /dev/nsm}: the report data goes into the document's
 * user_data (nonce and public_key stay null), and the evidence is the COSE_Sign1 document as the
 * NSM signed it. Opening takes one document, to learn PCR0..2 and to fail at startup outside an
 * enclave.
 */
public final class NitroNsmAttester implements Attester, AutoCloseable {
  private static final SecureRandom RANDOM = new SecureRandom();

  private final NsmDevice device;
  private final byte[] measurement;

  private NitroNsmAttester(NsmDevice device, byte[] measurement) {
    this.device = device;
    this.measurement = measurement;
  }

  /** Opens the NSM at {@code devicePath} (normally {@link NsmDevice#PATH_DEFAULT}) and takes one document. */
  public static NitroNsmAttester open(Path devicePath) throws AttestationException {
    return open(devicePath, LibcDeviceIo.INSTANCE);
  }

  static NitroNsmAttester open(Path devicePath, DeviceIo io) throws AttestationException {
    NsmDevice device = NsmDevice.open(devicePath, io);
    try {
      byte[] probe = new byte[ReportData.BYTES];
      RANDOM.nextBytes(probe);
      return new NitroNsmAttester(device, assemble(device, probe).measurement());
    } catch (AttestationException | RuntimeException e) {
      device.close();
      throw e;
    }
  }

  @Override
  public Platform platform() {
    return Platform.NITRO;
  }

  @Override
  public Evidence attest(byte[] reportData) throws AttestationException {
    EvidenceAssembly.checkReportData(reportData);
    return assemble(device, reportData).evidence();
  }

  /** PCR0 || PCR1 || PCR2 (144 bytes): the enclave image file's measurements, fixed at launch. */
  @Override
  public byte[] measurement() {
    return measurement.clone();
  }

  private static EvidenceAssembly.Assembled assemble(NsmDevice device, byte[] reportData) throws AttestationException {
    return EvidenceAssembly.nitro(device.attestation(reportData, null, null), reportData);
  }

  @Override
  public void close() {
    device.close();
  }

  @Override
  public String toString() {
    return "NitroNsmAttester{" + device.path() + "}";
  }
}
