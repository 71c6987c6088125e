package dev.veilraft.crypto.tee;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class IoctlTest {
  @Test
  void computesTheTeeRequestNumbersTheKernelHeadersGive() {
    // Proves the request numbers equal what gcc computes from the kernel UAPI macros (x86_64).
    assertThat(Ioctl.SNP_GET_REPORT).isEqualTo(0xc0205300L);
    assertThat(Ioctl.SNP_GET_DERIVED_KEY).isEqualTo(0xc0205301L);
    assertThat(Ioctl.SNP_GET_EXT_REPORT).isEqualTo(0xc0205302L);
    assertThat(Ioctl.TDX_CMD_GET_REPORT0).isEqualTo(0xc4405401L);
    assertThat(Ioctl.NSM_IOCTL_RAW).isEqualTo(0xc0200a00L);
  }

  @Test
  void encodesEachDirection() {
    // Proves _IOR and _IOW against two well-known requests: FS_IOC_GETFLAGS and FS_IOC_SETFLAGS (size 8 on 64-bit).
    assertThat(Ioctl.ior('f', 1, 8)).isEqualTo(0x80086601L);
    assertThat(Ioctl.iow('f', 2, 8)).isEqualTo(0x40086602L);
  }

  @Test
  void refusesFieldsThatDoNotFit() {
    // Proves a size beyond 14 bits or a number beyond 8 bits is refused rather than silently truncated.
    assertThatThrownBy(() -> Ioctl.iowr('S', 0, 1 << 14)).hasMessageContaining("14 bits");
    assertThatThrownBy(() -> Ioctl.iowr('S', 256, 8)).hasMessageContaining("8 bits");
  }
}
