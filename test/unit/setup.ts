// Adds toReceiveCommandWith and friends to expect().
import 'aws-sdk-client-mock-jest';
