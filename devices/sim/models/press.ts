/**
 * A press and a cell stack under load. The stack is a standard linear solid: the die, pellets and
 * current collectors act as a stiff spring (k1) in series with a Kelvin element (k2 parallel to a
 * dashpot) that stands for the creep of the lithium-indium anode. At a fixed press position the force
 * therefore relaxes towards k1*k2/(k1+k2) of its initial value with a time constant of hours, which is
 * what a stack-pressure controller must make up for.
 */
import type { Random } from '../../../src/random';

export type PressParams = {
  /** Stiffness of the elastic path, N/mm. */
  stiffnessNPerMm: number;
  /** Stiffness of the creeping (Kelvin) element, N/mm; a larger value means less relaxation. */
  creepStiffnessNPerMm: number;
  /** Relaxation time constant of the creep, s (hours for LiIn at 150 MPa). */
  creepTimeConstantS: number;
  /** Fastest the actuator can move, mm/s. */
  maxActuatorSpeedMmPerS: number;
  /** Load-cell noise (1 sigma), N. */
  noiseN: number;
  /** Apparent force drift of the load cell per kelvin away from 25 C, N/K. */
  thermalDriftNPerK: number;
};

export const DEFAULT_PRESS: PressParams = {
  stiffnessNPerMm: 60_000,
  creepStiffnessNPerMm: 300_000,
  creepTimeConstantS: 3 * 3600,
  maxActuatorSpeedMmPerS: 0.01,
  noiseN: 4,
  thermalDriftNPerK: 1.5,
};

export class PressModel {
  /** Press (actuator) position beyond first contact, mm. */
  private positionMm: number;
  /** Deformation of the creeping element, mm. */
  private creepMm = 0;
  private velocityMmPerS = 0;
  private timeS = 0;
  /** Fault injection: the actuator no longer moves whatever it is told (lost steps, seized screw). */
  stalled = false;

  constructor(
    private readonly params: PressParams,
    private readonly random: Random,
    preloadN: number,
    private ambientTempC: () => number = () => 25,
  ) {
    // Freshly pressed: all deformation is still elastic.
    this.positionMm = preloadN / params.stiffnessNPerMm;
  }

  /** True force on the stack, N (never pulls: the press only pushes). */
  get forceN(): number {
    return Math.max(0, this.params.stiffnessNPerMm * (this.positionMm - this.creepMm));
  }

  /** What the load cell sees: the true force plus noise and thermal drift. */
  measuredForceN(): number {
    const drift = this.params.thermalDriftNPerK * (this.ambientTempC() - 25);
    return this.forceN + drift + this.params.noiseN * this.random.normal();
  }

  /** Commands the actuator; positive presses harder. Clamped to the actuator's speed. */
  setActuatorVelocity(mmPerS: number): void {
    const vmax = this.params.maxActuatorSpeedMmPerS;
    this.velocityMmPerS = Math.max(-vmax, Math.min(vmax, mmPerS));
  }

  get actuatorVelocityMmPerS(): number {
    return this.velocityMmPerS;
  }

  /** Press travel beyond first contact, mm. */
  get actuatorPositionMm(): number {
    return this.positionMm;
  }

  /**
   * An outside push on the stack (a die screw tightened, the fixture expanding with temperature), mm:
   * the way an overload reaches a press that was holding steady.
   */
  displace(mm: number): void {
    this.positionMm = Math.max(this.creepMm, this.positionMm + mm);
  }

  /**
   * The operator opens the press's manual release: the ram goes back to first contact and the stack
   * carries nothing (its creep is undone as it springs back).
   */
  retract(): void {
    this.positionMm = 0;
    this.creepMm = 0;
  }

  /** Integrates to `timeS` in steps short against the creep time constant. */
  advanceTo(timeS: number): void {
    const { stiffnessNPerMm: k1, creepStiffnessNPerMm: k2, creepTimeConstantS } = this.params;
    // tau = eta / (k1 + k2): the dashpot follows from the time constant we want to see.
    const eta = creepTimeConstantS * (k1 + k2);
    while (this.timeS < timeS) {
      const dt = Math.min(1, timeS - this.timeS);
      const v = this.stalled ? 0 : this.velocityMmPerS;
      this.positionMm = Math.max(this.creepMm, this.positionMm + v * dt);
      const force = k1 * (this.positionMm - this.creepMm);
      // Exact solution of eta*dy/dt = k1*(x - y) - k2*y over dt with x held.
      const yInf = (k1 * this.positionMm) / (k1 + k2);
      this.creepMm = yInf + (this.creepMm - yInf) * Math.exp((-dt * (k1 + k2)) / eta);
      if (force <= 0) this.creepMm = Math.min(this.creepMm, this.positionMm);
      this.timeS += dt;
    }
  }
}
