package dev.veilraft.crypto.tee;

import dev.veilraft.crypto.Check;
import dev.veilraft.crypto.attestation.AttestationException;
import dev.veilraft.crypto.attestation.ReportData;
import java.lang.ref.Reference;
import java.nio.file.Path;

/**
 * The TDX guest driver, {@code /dev/tdx_guest}, through {@code TDX_CMD_GET_REPORT0}
 * (include/uapi/linux/tdx-guest.h): a TDREPORT (1024 bytes) carrying 64 bytes of report data.
 *
 * <p>A TDREPORT is not remote evidence: it is MAC'd with a key only the same CPU holds, so only a
 * quoting enclave on the same host can check it. A verifier elsewhere needs a DCAP quote, which the
 * host's Quote Generation Service (QGS) signs; Linux hands quotes to guests only through configfs-tsm
 * (kernel 6.7+), which {@link TdxQuoteAttester} uses. This class is for local checks and diagnostics.
 */
public final class TdxGuestDevice implements AutoCloseable {
  public static final Path PATH_DEFAULT = Path.of("/dev/tdx_guest");
  public static final int TDREPORT_BYTES = KernelAbi.TDX_REPORT_BYTES;

  private final OpenDevice device;

  private TdxGuestDevice(OpenDevice device) {
    this.device = device;
  }

  /** Opens {@code devicePath} (normally {@link #PATH_DEFAULT}) read-write. */
  public static TdxGuestDevice open(Path devicePath) throws AttestationException {
    return open(devicePath, LibcDeviceIo.INSTANCE);
  }

  static TdxGuestDevice open(Path devicePath, DeviceIo io) throws AttestationException {
    return new TdxGuestDevice(OpenDevice.open(devicePath, io, "TDX guest device", "this is not a TDX guest, or the tdx_guest module is not loaded"));
  }

  public Path path() {
    return device.path();
  }

  /** TDX_CMD_GET_REPORT0: the TDREPORT for {@code reportData}. */
  public synchronized byte[] tdReport(byte[] reportData) throws AttestationException {
    Check.length(reportData, ReportData.BYTES, "report data");
    KernelAbi.TdxReportReq req = new KernelAbi.TdxReportReq();
    req.reportData = reportData.clone();
    req.write();
    try {
      device.ioctl(Ioctl.TDX_CMD_GET_REPORT0, req.getPointer());
      req.read();
      return req.tdReport.clone();
    } catch (ErrnoException e) {
      throw new AttestationException("TDX_CMD_GET_REPORT0 on " + device.path() + " failed: " + Errno.describe(e.errno()), e);
    } finally {
      // The kernel writes the report through a raw address the collector cannot see.
      Reference.reachabilityFence(req);
    }
  }

  @Override
  public void close() {
    device.close();
  }

  @Override
  public String toString() {
    return "TdxGuestDevice{" + device.path() + "}";
  }
}
