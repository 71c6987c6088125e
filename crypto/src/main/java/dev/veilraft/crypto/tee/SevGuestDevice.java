package dev.veilraft.crypto.tee;

import com.sun.jna.Memory;
import com.sun.jna.Structure;
import dev.veilraft.crypto.Check;
import dev.veilraft.crypto.attestation.AttestationException;
import dev.veilraft.crypto.attestation.ReportData;
import dev.veilraft.crypto.attestation.SnpReport;
import java.lang.ref.Reference;
import java.nio.file.Path;
import java.util.Objects;

/**
 * The SEV-SNP guest driver, {@code /dev/sev-guest}, through its ioctls (include/uapi/linux/sev-guest.h):
 * {@code SNP_GET_REPORT}, {@code SNP_GET_EXT_REPORT} (the report plus the host's certificate table)
 * and {@code SNP_GET_DERIVED_KEY}. The kernel encrypts the request to the AMD secure processor with
 * the guest's VMPCK, so the host sees neither request nor answer; it only supplies the certificates.
 *
 * <p>For the extended report the certificate buffer starts at {@value #CERTS_BYTES_INITIAL} bytes.
 * When the host holds more, the kernel fails the call with EIO (ENOSPC inside the kernel), sets
 * exitinfo2's VMM error to INVALID_LEN and writes the size it needs into {@code certs_len}; the call
 * is repeated with that size, up to {@value #CERTS_BYTES_MAX} bytes and
 * {@value #EXT_REPORT_ATTEMPTS_MAX} attempts (the host may change its certificates in between).
 *
 * <p>Every failure names the device, the ioctl and errno, plus the firmware and VMM error codes the
 * kernel reports. Calls are serialised; the kernel serialises them too.
 */
public final class SevGuestDevice implements AutoCloseable {
  public static final Path PATH_DEFAULT = Path.of("/dev/sev-guest");
  static final int PAGE_BYTES = 4096;
  /** Two pages: a VCEK, ASK and ARK with their table take about 4.7 KB. */
  public static final int CERTS_BYTES_INITIAL = 2 * PAGE_BYTES;
  /** Bound on the certificate buffer, whatever the kernel asks for (it caps at 16 KiB today). */
  public static final int CERTS_BYTES_MAX = SnpCertificateTable.TABLE_BYTES_MAX;
  public static final int EXT_REPORT_ATTEMPTS_MAX = 3;
  /** VMPLs a report may be requested for. */
  public static final int VMPL_MAX = 3;
  /** MSG_REPORT_RSP status: the request had invalid parameters (for example a VMPL below the guest's). */
  static final long STATUS_INVALID_PARAMETERS = 0x16;
  /** MSG_REPORT_RSP status: the requested key selection is invalid (for example a VLEK that is not loaded). */
  static final long STATUS_INVALID_KEY_SELECTION = 0x27;

  private final OpenDevice device;

  private SevGuestDevice(OpenDevice device) {
    this.device = device;
  }

  /** Opens {@code devicePath} (normally {@link #PATH_DEFAULT}) read-write. */
  public static SevGuestDevice open(Path devicePath) throws AttestationException {
    return open(devicePath, LibcDeviceIo.INSTANCE);
  }

  static SevGuestDevice open(Path devicePath, DeviceIo io) throws AttestationException {
    return new SevGuestDevice(OpenDevice.open(devicePath, io, "SEV-SNP guest device", "this is not an SEV-SNP guest, or the sev-guest module is not loaded"));
  }

  public Path path() {
    return device.path();
  }

  /** An ATTESTATION_REPORT (1184 bytes) carrying {@code reportData}, requested at {@code vmpl}. */
  public synchronized byte[] report(byte[] reportData, int vmpl) throws AttestationException {
    KernelAbi.SnpReportReq req = reportReq(reportData, vmpl);
    Memory resp = new Memory(KernelAbi.SNP_REPORT_RESP_BYTES);
    resp.clear();
    req.write();
    call("SNP_GET_REPORT", Ioctl.SNP_GET_REPORT, req, resp);
    return reportFrom(resp);
  }

  /**
   * The report plus the certificate table the host supplies (possibly empty: a host need not
   * supply certificates).
   *
   * @param report the 1184-byte report
   * @param certificates the certificate buffer as the kernel filled it (a table and zero padding)
   */
  public record ExtendedReport(byte[] report, byte[] certificates) {
    public ExtendedReport {
      report = report.clone();
      certificates = certificates.clone();
    }

    @Override
    public byte[] report() {
      return report.clone();
    }

    @Override
    public byte[] certificates() {
      return certificates.clone();
    }
  }

  /** SNP_GET_EXT_REPORT, growing the certificate buffer when the kernel asks for more. */
  public synchronized ExtendedReport extendedReport(byte[] reportData, int vmpl) throws AttestationException {
    int certsBytes = CERTS_BYTES_INITIAL;
    for (int attempt = 1; attempt <= EXT_REPORT_ATTEMPTS_MAX; attempt++) {
      Memory certs = new Memory(certsBytes);
      certs.clear();
      KernelAbi.SnpExtReportReq req = new KernelAbi.SnpExtReportReq();
      req.data = reportReq(reportData, vmpl);
      req.certsAddress = KernelAbi.address(certs);
      req.certsLen = certsBytes;
      req.write();
      Memory resp = new Memory(KernelAbi.SNP_REPORT_RESP_BYTES);
      resp.clear();
      KernelAbi.SnpGuestRequestIoctl guest = request(req, resp);
      try {
        device.ioctl(Ioctl.SNP_GET_EXT_REPORT, guest.getPointer());
        return new ExtendedReport(reportFrom(resp), certs.getByteArray(0, certsBytes));
      } catch (ErrnoException e) {
        guest.read();
        req.read();
        boolean tooSmall = guest.vmmError() == KernelAbi.SNP_VMM_ERROR_INVALID_LEN
            && (e.errno() == Errno.EIO || e.errno() == Errno.ENOSPC);
        if (!tooSmall) {
          throw failure("SNP_GET_EXT_REPORT", e.errno(), guest);
        }
        long needed = Integer.toUnsignedLong(req.certsLen);
        if (needed <= certsBytes || needed > CERTS_BYTES_MAX) {
          throw new AttestationException("SNP_GET_EXT_REPORT on " + device.path() + ": the host's certificates need "
              + needed + " bytes, which is " + (needed <= certsBytes ? "not more than the " + certsBytes
              + " bytes offered" : "more than the bound of " + CERTS_BYTES_MAX));
        }
        certsBytes = (int) roundUpToPage(needed);
      } finally {
        // The kernel reads and writes these buffers through raw addresses the collector cannot see.
        Reference.reachabilityFence(guest);
        Reference.reachabilityFence(req);
        Reference.reachabilityFence(resp);
        Reference.reachabilityFence(certs);
      }
    }
    throw new AttestationException("SNP_GET_EXT_REPORT on " + device.path() + ": the host's certificate size changed on all "
        + EXT_REPORT_ATTEMPTS_MAX + " attempts");
  }

  /**
   * A key derived by the AMD secure processor from the chip's root key and the selected guest
   * fields (SNP_GET_DERIVED_KEY): stable across reboots of the same guest, usable to seal data.
   * The native buffers are zeroed after the call; the caller should wipe the returned array after use.
   */
  public synchronized byte[] derivedKey(SnpDerivedKeyRequest request) throws AttestationException {
    Objects.requireNonNull(request, "request");
    KernelAbi.SnpDerivedKeyReq req = new KernelAbi.SnpDerivedKeyReq();
    req.rootKeySelect = request.rootKey().select();
    req.guestFieldSelect = request.guestFieldSelect();
    req.vmpl = request.vmpl();
    req.guestSvn = request.guestSvn();
    req.tcbVersion = request.tcbVersion();
    req.write();
    Memory resp = new Memory(KernelAbi.SNP_DERIVED_KEY_RESP_BYTES);
    resp.clear();
    try {
      call("SNP_GET_DERIVED_KEY", Ioctl.SNP_GET_DERIVED_KEY, req, resp);
      long status = Integer.toUnsignedLong(resp.getInt(KernelAbi.SNP_RSP_STATUS));
      if (status != 0) {
        throw new AttestationException("the SEV-SNP firmware refused MSG_KEY_REQ on " + device.path() + ": status 0x"
            + Long.toHexString(status) + statusName(status));
      }
      return resp.getByteArray(KernelAbi.SNP_RSP_PAYLOAD, KernelAbi.SNP_DERIVED_KEY_BYTES);
    } finally {
      resp.clear();
    }
  }

  private KernelAbi.SnpReportReq reportReq(byte[] reportData, int vmpl) {
    Check.length(reportData, ReportData.BYTES, "report data");
    Check.argument(vmpl >= 0 && vmpl <= VMPL_MAX, "VMPL must be 0 to " + VMPL_MAX + ", got " + vmpl);
    KernelAbi.SnpReportReq req = new KernelAbi.SnpReportReq();
    req.userData = reportData.clone();
    req.vmpl = vmpl;
    return req;
  }

  private static KernelAbi.SnpGuestRequestIoctl request(Structure req, Memory resp) {
    KernelAbi.SnpGuestRequestIoctl guest = new KernelAbi.SnpGuestRequestIoctl();
    guest.msgVersion = KernelAbi.SNP_MSG_VERSION;
    guest.reqData = KernelAbi.address(req.getPointer());
    guest.respData = KernelAbi.address(resp);
    guest.write();
    return guest;
  }

  /**
   * Issues one guest request. The structures hand the kernel raw addresses, which the garbage
   * collector cannot see, so every buffer is kept reachable until the call has returned.
   */
  private void call(String name, long request, Structure req, Memory resp) throws AttestationException {
    KernelAbi.SnpGuestRequestIoctl guest = request(req, resp);
    try {
      device.ioctl(request, guest.getPointer());
    } catch (ErrnoException e) {
      guest.read();
      throw failure(name, e.errno(), guest);
    } finally {
      Reference.reachabilityFence(guest);
      Reference.reachabilityFence(req);
      Reference.reachabilityFence(resp);
    }
  }

  private byte[] reportFrom(Memory resp) throws AttestationException {
    long status = Integer.toUnsignedLong(resp.getInt(KernelAbi.SNP_RSP_STATUS));
    long size = Integer.toUnsignedLong(resp.getInt(KernelAbi.SNP_RSP_REPORT_SIZE));
    if (status != 0) {
      throw new AttestationException("the SEV-SNP firmware refused MSG_REPORT_REQ on " + device.path() + ": status 0x"
          + Long.toHexString(status) + statusName(status));
    }
    if (size != SnpReport.BYTES) {
      throw new AttestationException("the SEV-SNP firmware returned a " + size + "-byte report on " + device.path()
          + ", expected " + SnpReport.BYTES);
    }
    return resp.getByteArray(KernelAbi.SNP_RSP_PAYLOAD, SnpReport.BYTES);
  }

  private AttestationException failure(String name, int errno, KernelAbi.SnpGuestRequestIoctl guest) {
    // The kernel writes exitinfo2 back only when it is set, so zero means "no detail".
    String detail = guest.exitinfo2 == 0 ? "" : ", firmware error 0x" + Long.toHexString(guest.fwError())
        + ", VMM error 0x" + Long.toHexString(guest.vmmError())
        + (guest.vmmError() == KernelAbi.SNP_VMM_ERROR_BUSY ? " (host busy, retry later)" : "");
    return new AttestationException(name + " on " + device.path() + " failed: " + Errno.describe(errno) + detail
        + hint(errno));
  }

  private static String statusName(long status) {
    if (status == STATUS_INVALID_PARAMETERS) {
      return " (invalid parameters: is the VMPL at or above the guest's own?)";
    }
    return status == STATUS_INVALID_KEY_SELECTION ? " (invalid key selection)" : "";
  }

  private static String hint(int errno) {
    return errno == Errno.ENOTTY ? "; the device does not understand this ioctl (not a sev-guest device, or the"
        + " VMPCK was disabled after an earlier error)" : "";
  }

  static long roundUpToPage(long bytes) {
    return (bytes + PAGE_BYTES - 1) / PAGE_BYTES * PAGE_BYTES;
  }

  @Override
  public void close() {
    device.close();
  }

  @Override
  public String toString() {
    return "SevGuestDevice{" + device.path() + "}";
  }
}
