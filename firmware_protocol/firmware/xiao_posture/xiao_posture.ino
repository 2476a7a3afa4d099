/*
 * Reference firmware for the Seeed XIAO nRF52840 Sense: the open posture sensor
 * protocol (docs/protocol.md) with Battery, Device Information and Immediate Alert.
 *
 * Libraries (Arduino IDE, board "Seeed nRF52 mbed-enabled Boards"): ArduinoBLE,
 * "Seeed Arduino LSM6DS3". Copy ../posture_frames.h next to this sketch before
 * building (the Arduino IDE only compiles files in the sketch folder).
 * Vibration motor: a small coin motor through a transistor on pin D0.
 */
#include <ArduinoBLE.h>
#include <LSM6DS3.h>
#include <Wire.h>

#include "posture_frames.h"

#define MOTOR_PIN D0
#define BATTERY_PIN PIN_VBAT
#define NAME "Posture1"  // at most 8 characters: name + 128-bit UUID fit one advertisement

LSM6DS3 imu(I2C_MODE, 0x6A);

BLEService sensorService("7a1e0001-5a6f-4c6b-9e3d-2b8f0c1d4e5a");
BLECharacteristic infoChar("7a1e0002-5a6f-4c6b-9e3d-2b8f0c1d4e5a", BLERead, POSTURE_INFO_SIZE);
BLECharacteristic dataChar("7a1e0003-5a6f-4c6b-9e3d-2b8f0c1d4e5a", BLENotify, 244);
BLECharacteristic controlChar("7a1e0004-5a6f-4c6b-9e3d-2b8f0c1d4e5a", BLEWrite | BLENotify, 20);
BLECharacteristic statusChar("7a1e0005-5a6f-4c6b-9e3d-2b8f0c1d4e5a", BLERead | BLENotify, POSTURE_STATUS_SIZE);

BLEService batteryService("180F");
BLEUnsignedCharCharacteristic batteryLevel("2A19", BLERead | BLENotify);
BLEService deviceInfoService("180A");
BLEStringCharacteristic manufacturer("2A29", BLERead, 20);
BLEStringCharacteristic model("2A24", BLERead, 32);
BLEStringCharacteristic serial("2A25", BLERead, 20);
BLEStringCharacteristic firmware("2A26", BLERead, 12);
BLEService alertService("1802");
BLEUnsignedCharCharacteristic alertLevel("2A06", BLEWriteWithoutResponse);

static uint16_t rateHz = 50, accelG = 4, gyroDps = 500;
static uint8_t batchSize = 10;
static bool streaming = false;
static uint16_t seq = 0;
static uint32_t nextSampleUs = 0;
static posture_sample_t batch[POSTURE_MAX_SAMPLES];
static size_t batchCount = 0;
static uint32_t batchT0 = 0;
static uint32_t motorOffMs = 0;

static uint8_t configByte() { return (uint8_t)posture_config_byte(rateHz, accelG, gyroDps); }

static void publishInfo() {
  uint8_t out[POSTURE_INFO_SIZE];
  uint8_t flags = (streaming ? 1 : 0) | 2 | 4;
  posture_pack_info(out, POSTURE_PROTOCOL_MINOR, configByte(), batchSize, flags, POSTURE_MAX_SAMPLES, 1000000UL);
  infoChar.writeValue(out, sizeof out);
  uint8_t status[POSTURE_STATUS_SIZE];
  posture_pack_status(status, streaming ? 1 : 0, 0, 0);
  statusChar.writeValue(status, sizeof status);
}

static void respond(uint8_t opcode, uint8_t result) {
  uint8_t out[3];
  posture_pack_response(out, opcode, result);
  controlChar.writeValue(out, sizeof out);
}

static int16_t counts(float value, float fullScale) {
  float c = value / fullScale * 32768.0f;
  if (c > 32767.0f) c = 32767.0f;
  if (c < -32768.0f) c = -32768.0f;
  return (int16_t)lroundf(c);
}

static void buzz(uint32_t ms) {
  digitalWrite(MOTOR_PIN, HIGH);
  motorOffMs = millis() + ms;
}

static void onControl(BLEDevice, BLECharacteristic c) {
  const uint8_t *v = c.value();
  int n = c.valueLength();
  if (n < 1) return;
  switch (v[0]) {
    case POSTURE_OP_START:
      if (n != 1) { respond(v[0], POSTURE_INVALID_PARAMETER); return; }
      streaming = true; seq = 0; batchCount = 0; nextSampleUs = micros();
      break;
    case POSTURE_OP_STOP:
      if (n != 1) { respond(v[0], POSTURE_INVALID_PARAMETER); return; }
      streaming = false;
      break;
    case POSTURE_OP_CONFIGURE: {
      if (n != 3 || v[2] < 1 || v[2] > POSTURE_MAX_SAMPLES) { respond(v[0], POSTURE_INVALID_PARAMETER); return; }
      if (streaming) { respond(v[0], POSTURE_INVALID_STATE); return; }
      uint8_t a = v[1] & 3, g = (v[1] >> 2) & 7, r = (v[1] >> 5) & 7;
      if (g > 4 || r > 4) { respond(v[0], POSTURE_INVALID_PARAMETER); return; }
      accelG = posture_accel_ranges_g[a]; gyroDps = posture_gyro_ranges_dps[g]; rateHz = posture_rates_hz[r];
      batchSize = v[2];
      imu.settings.accelRange = accelG;
      imu.settings.gyroRange = gyroDps;
      imu.begin();
      break;
    }
    case POSTURE_OP_IDENTIFY:
      if (n != 2 || v[1] < 1 || v[1] > 30) { respond(v[0], POSTURE_INVALID_PARAMETER); return; }
      buzz(1000UL * v[1]);
      break;
    default:
      respond(v[0], POSTURE_UNKNOWN_OPCODE);
      return;
  }
  respond(v[0], POSTURE_OK);
  publishInfo();
}

static void onAlert(BLEDevice, BLECharacteristic c) {
  uint8_t level = c.value()[0];
  if (level == 1) buzz(300);
  if (level == 2) buzz(900);
}

static uint8_t batteryPercent() {
  float volts = analogRead(BATTERY_PIN) * 3.3f / 1023.0f * 1510.0f / 510.0f;  // on-board divider
  float pct = (volts - 3.3f) / (4.2f - 3.3f) * 100.0f;
  return (uint8_t)(pct < 0 ? 0 : pct > 100 ? 100 : pct);
}

void setup() {
  pinMode(MOTOR_PIN, OUTPUT);
  imu.settings.accelRange = accelG;
  imu.settings.gyroRange = gyroDps;
  imu.begin();
  BLE.begin();
  BLE.setLocalName(NAME);
  BLE.setAdvertisedService(sensorService);
  sensorService.addCharacteristic(infoChar);
  sensorService.addCharacteristic(dataChar);
  sensorService.addCharacteristic(controlChar);
  sensorService.addCharacteristic(statusChar);
  BLE.addService(sensorService);
  batteryService.addCharacteristic(batteryLevel);
  BLE.addService(batteryService);
  deviceInfoService.addCharacteristic(manufacturer);
  deviceInfoService.addCharacteristic(model);
  deviceInfoService.addCharacteristic(serial);
  deviceInfoService.addCharacteristic(firmware);
  BLE.addService(deviceInfoService);
  alertService.addCharacteristic(alertLevel);
  BLE.addService(alertService);
  manufacturer.writeValue("Posture Project");
  model.writeValue("XIAO nRF52840 Sense");
  serial.writeValue(String(NRF_FICR->DEVICEADDR[0], HEX));
  firmware.writeValue("1.0.0");
  batteryLevel.writeValue(batteryPercent());
  controlChar.setEventHandler(BLEWritten, onControl);
  alertLevel.setEventHandler(BLEWritten, onAlert);
  publishInfo();
  BLE.advertise();
}

void loop() {
  BLE.poll();
  if (motorOffMs && (int32_t)(millis() - motorOffMs) >= 0) { digitalWrite(MOTOR_PIN, LOW); motorOffMs = 0; }
  if (!BLE.connected()) { streaming = false; return; }
  if (!streaming) return;
  uint32_t now = micros();
  if ((int32_t)(now - nextSampleUs) < 0) return;
  nextSampleUs += 1000000UL / rateHz;
  if (batchCount == 0) batchT0 = now;
  posture_sample_t *s = &batch[batchCount++];
  s->ax = counts(imu.readFloatAccelX(), accelG);
  s->ay = counts(imu.readFloatAccelY(), accelG);
  s->az = counts(imu.readFloatAccelZ(), accelG);
  s->gx = counts(imu.readFloatGyroX(), gyroDps);
  s->gy = counts(imu.readFloatGyroY(), gyroDps);
  s->gz = counts(imu.readFloatGyroZ(), gyroDps);
  size_t wanted = posture_samples_per_frame(BLE.central().mtu(), batchSize);
  if (batchCount >= wanted) {
    uint8_t out[POSTURE_SAMPLE_HEADER_SIZE + POSTURE_MAX_SAMPLES * POSTURE_SAMPLE_SIZE];
    size_t len = posture_pack_samples(out, seq, batchT0, configByte(), batch, batchCount);
    dataChar.writeValue(out, len);
    seq += batchCount;
    batchCount = 0;
  }
  static uint32_t lastBatteryMs = 0;
  if (millis() - lastBatteryMs > 60000UL) { lastBatteryMs = millis(); batteryLevel.writeValue(batteryPercent()); }
}
