package dev.veilraft.crypto.tee;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.jna.Pointer;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class TdxGuestDeviceTest {
  @Test
  void getsATdReportThroughTheUapiLayout() throws Exception {
    // Proves TDX_CMD_GET_REPORT0 passes reportdata at offset 0 and reads the 1024-byte TDREPORT from offset 64.
    byte[] tdReport = TeeVectors.read("tdx/go-tdx-guest/report.dat");
    byte[][] seen = new byte[1][];
    DeviceIo driver = new DeviceIo() {
      @Override
      public int open(String path) {
        return 5;
      }

      @Override
      public int ioctl(int fd, long request, Pointer arg) throws ErrnoException {
        if (request != Ioctl.TDX_CMD_GET_REPORT0) {
          throw new ErrnoException("ioctl", Errno.ENOTTY);
        }
        seen[0] = arg.getByteArray(0, 64);
        arg.write(64, tdReport, 0, tdReport.length);
        return 0;
      }

      @Override
      public void close(int fd) {}
    };
    byte[] reportData = new byte[64];
    Arrays.fill(reportData, (byte) 0x33);
    try (TdxGuestDevice device = TdxGuestDevice.open(Path.of("/dev/tdx_guest"), driver)) {
      assertThat(device.tdReport(reportData)).isEqualTo(tdReport);
    }
    assertThat(seen[0]).isEqualTo(reportData);
  }
}
