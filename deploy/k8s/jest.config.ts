import { jestProject } from '../../jest.preset';

export default jestProject('k8s', __dirname);
