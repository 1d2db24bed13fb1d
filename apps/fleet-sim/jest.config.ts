import { jestProject } from '../../jest.preset';

export default jestProject('fleet-sim', __dirname);
