import { jestProject } from '../../jest.preset';

// The browser suite starts the whole stack and a headless Chromium.
export default jestProject('dashboard', __dirname);
