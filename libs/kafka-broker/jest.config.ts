import { jestProject } from '../../jest.preset';

export default jestProject('kafka-broker', __dirname);
