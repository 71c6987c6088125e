package dev.veilraft.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class EpochSecretTest {
  static final byte[] FRESH = Hashes.sha256(Hashes.utf8("fresh"));
  static final byte[] MEMBERS = Hashes.sha256(Hashes.utf8("members a,b,c"));
  static final byte[] POLICY = Hashes.sha256(Hashes.utf8("policy"));

  @Test
  void derivationIsDeterministic() {
    // Proves every replica derives the same secret, group key and key id from the same committed inputs.
    EpochSecret a = EpochSecret.derive(null, 1, FRESH, MEMBERS, POLICY);
    EpochSecret b = EpochSecret.derive(null, 1, FRESH, MEMBERS, POLICY);

    assertThat(a.secretBytes()).isEqualTo(b.secretBytes()).hasSize(EpochSecret.BYTES);
    assertThat(a.groupPublicKey()).isEqualTo(b.groupPublicKey());
    assertThat(a.keyId()).isEqualTo(b.keyId()).hasSize(16);
    assertThat(EpochSecret.derive(a, 2, FRESH, MEMBERS, POLICY).secretBytes())
        .isEqualTo(EpochSecret.derive(b, 2, FRESH, MEMBERS, POLICY).secretBytes());
  }

  @Test
  void differentFreshInputMembersOrPolicyGiveDifferentSecrets() {
    // Proves each input of the HKDF (fresh, members, policy, previous secret) changes the epoch secret.
    EpochSecret base = EpochSecret.derive(null, 1, FRESH, MEMBERS, POLICY);
    EpochSecret otherFresh = EpochSecret.derive(null, 1, Hashes.sha256(Hashes.utf8("fresh 2")), MEMBERS, POLICY);
    EpochSecret otherMembers = EpochSecret.derive(null, 1, FRESH, Hashes.sha256(Hashes.utf8("a,b")), POLICY);
    EpochSecret otherPolicy = EpochSecret.derive(null, 1, FRESH, MEMBERS, Hashes.sha256(Hashes.utf8("p2")));
    EpochSecret next = EpochSecret.derive(base, 2, FRESH, MEMBERS, POLICY);
    EpochSecret nextFromOther = EpochSecret.derive(otherFresh, 2, FRESH, MEMBERS, POLICY);

    assertThat(otherFresh.secretBytes()).isNotEqualTo(base.secretBytes());
    assertThat(otherMembers.secretBytes()).isNotEqualTo(base.secretBytes());
    assertThat(otherPolicy.secretBytes()).isNotEqualTo(base.secretBytes());
    assertThat(nextFromOther.secretBytes()).isNotEqualTo(next.secretBytes());
    assertThat(otherMembers.groupPublicKey()).isNotEqualTo(base.groupPublicKey());
  }

  @Test
  void keyIdMatchesOnlyItsOwnSecret() {
    // Proves matches() recognizes the secret's own key id, a restored copy has the same id, and others do not match.
    EpochSecret base = EpochSecret.derive(null, 1, FRESH, MEMBERS, POLICY);
    EpochSecret restored = EpochSecret.restore(1, base.secretBytes());
    EpochSecret other = EpochSecret.derive(null, 1, Hashes.sha256(Hashes.utf8("x")), MEMBERS, POLICY);

    assertThat(base.matches(base.keyId())).isTrue();
    assertThat(restored.matches(base.keyId())).isTrue();
    assertThat(restored.groupPublicKey()).isEqualTo(base.groupPublicKey());
    assertThat(other.matches(base.keyId())).isFalse();
    assertThat(EpochSecret.restore(2, base.secretBytes()).matches(base.keyId())).isFalse();
  }

  @Test
  void epochsMustFollowEachOther() {
    // Proves the derivation refuses to skip epochs or start anywhere but epoch 1.
    EpochSecret first = EpochSecret.derive(null, 1, FRESH, MEMBERS, POLICY);

    assertThatThrownBy(() -> EpochSecret.derive(first, 3, FRESH, MEMBERS, POLICY))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("3");
    assertThatThrownBy(() -> EpochSecret.derive(null, 2, FRESH, MEMBERS, POLICY))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> EpochSecret.derive(null, 1, new byte[16], MEMBERS, POLICY))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
